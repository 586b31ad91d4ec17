"""The arXiv category taxonomy, and the mapping from listing-page "chips" to full category codes.

Listing pages (Hugging Face Papers-style author pages) show a paper's primary category as a short chip: the
subject part of the arXiv code, upper-cased, with the archive dropped (``LG`` for ``cs.LG``, ``FLU-DYN`` for
``physics.flu-dyn``). The rest of openpapers only speaks full codes, so the chip must be mapped back.

Dropping the archive makes some chips ambiguous (``CV`` is ``cs.CV`` and ``math.CV``; ``CO`` is ``math.CO``,
``stat.CO`` and ``astro-ph.CO``). Those are resolved by :data:`ARCHIVE_PRIORITY` (computer science and
statistics first, because that is what these pages list) and the other candidates are reported so a caller can
keep them. arXiv's official aliases (``cs.NA`` = ``math.NA``, ``cs.SY`` = ``eess.SY``, ...) are folded to the
canonical code first, so ``NA`` is not ambiguous at all.
"""

from __future__ import annotations

from dataclasses import dataclass

# Code → human-readable name, as published in arXiv's category taxonomy.
CATEGORIES: dict[str, str] = {
    # Computer Science
    "cs.AI": "Artificial Intelligence",
    "cs.AR": "Hardware Architecture",
    "cs.CC": "Computational Complexity",
    "cs.CE": "Computational Engineering, Finance, and Science",
    "cs.CG": "Computational Geometry",
    "cs.CL": "Computation and Language",
    "cs.CR": "Cryptography and Security",
    "cs.CV": "Computer Vision and Pattern Recognition",
    "cs.CY": "Computers and Society",
    "cs.DB": "Databases",
    "cs.DC": "Distributed, Parallel, and Cluster Computing",
    "cs.DL": "Digital Libraries",
    "cs.DM": "Discrete Mathematics",
    "cs.DS": "Data Structures and Algorithms",
    "cs.ET": "Emerging Technologies",
    "cs.FL": "Formal Languages and Automata Theory",
    "cs.GL": "General Literature",
    "cs.GR": "Graphics",
    "cs.GT": "Computer Science and Game Theory",
    "cs.HC": "Human-Computer Interaction",
    "cs.IR": "Information Retrieval",
    "cs.IT": "Information Theory",
    "cs.LG": "Machine Learning",
    "cs.LO": "Logic in Computer Science",
    "cs.MA": "Multiagent Systems",
    "cs.MM": "Multimedia",
    "cs.MS": "Mathematical Software",
    "cs.NA": "Numerical Analysis",
    "cs.NE": "Neural and Evolutionary Computing",
    "cs.NI": "Networking and Internet Architecture",
    "cs.OH": "Other Computer Science",
    "cs.OS": "Operating Systems",
    "cs.PF": "Performance",
    "cs.PL": "Programming Languages",
    "cs.RO": "Robotics",
    "cs.SC": "Symbolic Computation",
    "cs.SD": "Sound",
    "cs.SE": "Software Engineering",
    "cs.SI": "Social and Information Networks",
    "cs.SY": "Systems and Control",
    # Economics
    "econ.EM": "Econometrics",
    "econ.GN": "General Economics",
    "econ.TH": "Theoretical Economics",
    # Electrical Engineering and Systems Science
    "eess.AS": "Audio and Speech Processing",
    "eess.IV": "Image and Video Processing",
    "eess.SP": "Signal Processing",
    "eess.SY": "Systems and Control",
    # Mathematics
    "math.AC": "Commutative Algebra",
    "math.AG": "Algebraic Geometry",
    "math.AP": "Analysis of PDEs",
    "math.AT": "Algebraic Topology",
    "math.CA": "Classical Analysis and ODEs",
    "math.CO": "Combinatorics",
    "math.CT": "Category Theory",
    "math.CV": "Complex Variables",
    "math.DG": "Differential Geometry",
    "math.DS": "Dynamical Systems",
    "math.FA": "Functional Analysis",
    "math.GM": "General Mathematics",
    "math.GN": "General Topology",
    "math.GR": "Group Theory",
    "math.GT": "Geometric Topology",
    "math.HO": "History and Overview",
    "math.IT": "Information Theory",
    "math.KT": "K-Theory and Homology",
    "math.LO": "Logic",
    "math.MG": "Metric Geometry",
    "math.MP": "Mathematical Physics",
    "math.NA": "Numerical Analysis",
    "math.NT": "Number Theory",
    "math.OA": "Operator Algebras",
    "math.OC": "Optimization and Control",
    "math.PR": "Probability",
    "math.QA": "Quantum Algebra",
    "math.RA": "Rings and Algebras",
    "math.RT": "Representation Theory",
    "math.SG": "Symplectic Geometry",
    "math.SP": "Spectral Theory",
    "math.ST": "Statistics Theory",
    # Astrophysics
    "astro-ph.CO": "Cosmology and Nongalactic Astrophysics",
    "astro-ph.EP": "Earth and Planetary Astrophysics",
    "astro-ph.GA": "Astrophysics of Galaxies",
    "astro-ph.HE": "High Energy Astrophysical Phenomena",
    "astro-ph.IM": "Instrumentation and Methods for Astrophysics",
    "astro-ph.SR": "Solar and Stellar Astrophysics",
    # Condensed Matter
    "cond-mat.dis-nn": "Disordered Systems and Neural Networks",
    "cond-mat.mes-hall": "Mesoscale and Nanoscale Physics",
    "cond-mat.mtrl-sci": "Materials Science",
    "cond-mat.other": "Other Condensed Matter",
    "cond-mat.quant-gas": "Quantum Gases",
    "cond-mat.soft": "Soft Condensed Matter",
    "cond-mat.stat-mech": "Statistical Mechanics",
    "cond-mat.str-el": "Strongly Correlated Electrons",
    "cond-mat.supr-con": "Superconductivity",
    # Physics archives without subject classes
    "gr-qc": "General Relativity and Quantum Cosmology",
    "hep-ex": "High Energy Physics - Experiment",
    "hep-lat": "High Energy Physics - Lattice",
    "hep-ph": "High Energy Physics - Phenomenology",
    "hep-th": "High Energy Physics - Theory",
    "math-ph": "Mathematical Physics",
    "nucl-ex": "Nuclear Experiment",
    "nucl-th": "Nuclear Theory",
    "quant-ph": "Quantum Physics",
    # Nonlinear Sciences
    "nlin.AO": "Adaptation and Self-Organizing Systems",
    "nlin.CD": "Chaotic Dynamics",
    "nlin.CG": "Cellular Automata and Lattice Gases",
    "nlin.PS": "Pattern Formation and Solitons",
    "nlin.SI": "Exactly Solvable and Integrable Systems",
    # Physics
    "physics.acc-ph": "Accelerator Physics",
    "physics.ao-ph": "Atmospheric and Oceanic Physics",
    "physics.app-ph": "Applied Physics",
    "physics.atm-clus": "Atomic and Molecular Clusters",
    "physics.atom-ph": "Atomic Physics",
    "physics.bio-ph": "Biological Physics",
    "physics.chem-ph": "Chemical Physics",
    "physics.class-ph": "Classical Physics",
    "physics.comp-ph": "Computational Physics",
    "physics.data-an": "Data Analysis, Statistics and Probability",
    "physics.ed-ph": "Physics Education",
    "physics.flu-dyn": "Fluid Dynamics",
    "physics.gen-ph": "General Physics",
    "physics.geo-ph": "Geophysics",
    "physics.hist-ph": "History and Philosophy of Physics",
    "physics.ins-det": "Instrumentation and Detectors",
    "physics.med-ph": "Medical Physics",
    "physics.optics": "Optics",
    "physics.plasm-ph": "Plasma Physics",
    "physics.pop-ph": "Popular Physics",
    "physics.soc-ph": "Physics and Society",
    "physics.space-ph": "Space Physics",
    # Quantitative Biology
    "q-bio.BM": "Biomolecules",
    "q-bio.CB": "Cell Behavior",
    "q-bio.GN": "Genomics",
    "q-bio.MN": "Molecular Networks",
    "q-bio.NC": "Neurons and Cognition",
    "q-bio.OT": "Other Quantitative Biology",
    "q-bio.PE": "Populations and Evolution",
    "q-bio.QM": "Quantitative Methods",
    "q-bio.SC": "Subcellular Processes",
    "q-bio.TO": "Tissues and Organs",
    # Quantitative Finance
    "q-fin.CP": "Computational Finance",
    "q-fin.EC": "Economics",
    "q-fin.GN": "General Finance",
    "q-fin.MF": "Mathematical Finance",
    "q-fin.PM": "Portfolio Management",
    "q-fin.PR": "Pricing of Securities",
    "q-fin.RM": "Risk Management",
    "q-fin.ST": "Statistical Finance",
    "q-fin.TR": "Trading and Market Microstructure",
    # Statistics
    "stat.AP": "Applications",
    "stat.CO": "Computation",
    "stat.ME": "Methodology",
    "stat.ML": "Machine Learning",
    "stat.OT": "Other Statistics",
    "stat.TH": "Statistics Theory",
}

# arXiv's official aliases: the left code is another name for the right one (papers carry the right one).
ALIASES: dict[str, str] = {
    "cs.NA": "math.NA",
    "cs.SY": "eess.SY",
    "math.IT": "cs.IT",
    "math.MP": "math-ph",
    "stat.TH": "math.ST",
    "q-fin.EC": "econ.GN",
}

# Order in which an ambiguous chip's candidates are preferred (first wins).
ARCHIVE_PRIORITY: tuple[str, ...] = (
    "cs", "stat", "eess", "math", "physics", "astro-ph", "cond-mat", "nlin", "q-bio", "q-fin", "econ",
    "quant-ph", "math-ph", "gr-qc", "hep-th", "hep-ph", "hep-ex", "hep-lat", "nucl-th", "nucl-ex",
)

_BY_FOLDED: dict[str, str] = {code.lower(): code for code in CATEGORIES}

# The archive names that prefix a subject class in arXiv's full category names ("Computer Science - Machine
# Learning"), as OAI-PMH's oai_dc format writes them in dc:subject. Archives without subject classes
# (hep-th, quant-ph, ...) are written by their own name alone.
ARCHIVE_NAMES: dict[str, str] = {
    "cs": "Computer Science", "math": "Mathematics", "stat": "Statistics", "physics": "Physics",
    "astro-ph": "Astrophysics", "cond-mat": "Condensed Matter", "nlin": "Nonlinear Sciences",
    "q-bio": "Quantitative Biology", "q-fin": "Quantitative Finance", "econ": "Economics",
    "eess": "Electrical Engineering and Systems Science",
}


def _build_name_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for code, name in CATEGORIES.items():
        archive = code.split(".", 1)[0]
        full = f"{ARCHIVE_NAMES[archive]} - {name}" if "." in code and archive in ARCHIVE_NAMES else name
        table.setdefault(" ".join(full.lower().split()), ALIASES.get(code, code))
    return table


_BY_NAME: dict[str, str] = _build_name_table()


def category_from_name(name: str | None) -> str | None:
    """``Computer Science - Machine Learning`` → ``cs.LG``; ``Quantum Physics`` → ``quant-ph``; None if unknown.

    oai_dc only names categories in words; this maps the name back to its code (aliases resolved), so a paper
    harvested in oai_dc gets the same categories as from the other arXiv formats.
    """
    if not name:
        return None
    return _BY_NAME.get(" ".join(name.lower().split()))


def canonical_category(code: str | None) -> str | None:
    """The canonical spelling of a full category code (aliases resolved), or None if it is not one."""
    if not code:
        return None
    found = _BY_FOLDED.get(code.strip().lower())
    if found is None:
        return None
    return ALIASES.get(found, found)


def category_name(code: str | None) -> str | None:
    """Human-readable name of a category code (``cs.LG`` → ``Machine Learning``), None if unknown."""
    canonical = canonical_category(code)
    return CATEGORIES.get(canonical) if canonical else None


def _archive(code: str) -> str:
    return code.split(".", 1)[0]


def _subject_chip(code: str) -> str:
    """The chip a page shows for ``code``: the subject class upper-cased (the archive for bare archives)."""
    return code.split(".", 1)[-1].upper()


def _priority(code: str) -> int:
    archive = _archive(code)
    return ARCHIVE_PRIORITY.index(archive) if archive in ARCHIVE_PRIORITY else len(ARCHIVE_PRIORITY)


def _build_chip_table() -> dict[str, tuple[str, ...]]:
    # Candidates are collected per chip from every code *including aliases* (the chip a page shows may be an
    # alias's), mapped to their canonical codes, ordered by the archive that the chip came from.
    table: dict[str, list[tuple[int, str]]] = {}
    for code in CATEGORIES:
        target = ALIASES.get(code, code)
        table.setdefault(_subject_chip(code), []).append((_priority(code), target))
    out: dict[str, tuple[str, ...]] = {}
    for chip, found in table.items():
        ordered: list[str] = []
        for _, target in sorted(found):
            if target not in ordered:
                ordered.append(target)
        out[chip] = tuple(ordered)
    return out


_CHIPS: dict[str, tuple[str, ...]] = _build_chip_table()


@dataclass(frozen=True, slots=True)
class ChipMatch:
    """A chip resolved to a full code; ``alternatives`` are the other codes the same chip could mean."""

    code: str
    alternatives: tuple[str, ...] = ()


def chip_to_category(chip: str | None) -> ChipMatch | None:
    """Map a listing chip (``LG``, ``FLU-DYN``, ``HEP-TH``) or a full code (``cs.LG``) to a category.

    Returns None for an unknown chip: pages may show chips newer than this table, and the caller keeps the raw
    chip rather than failing.
    """
    if not chip:
        return None
    text = chip.strip()
    full = canonical_category(text)
    if full is not None:
        return ChipMatch(full)
    candidates = _CHIPS.get(text.upper())
    if not candidates:
        return None
    return ChipMatch(candidates[0], candidates[1:])

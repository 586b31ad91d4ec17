"""Is this string a plausible person name? Token-level rules used by the title/author splitter.

Author pages glue the author list to the end of the title with no separator, so the splitter has to decide
where a title ends and a name begins. It does that by asking, for every possible split, how name-like the
suffix is. This module answers that question: :func:`name_cost` returns None for "cannot be a name" and
otherwise a small cost (0 = an ordinary name) that grows with every oddity (CamelCase humps that are not
romanised Chinese/Korean syllables, all-caps words, very long names).

The rules are deliberately permissive about real-world names (hyphens, apostrophes, initials, accents,
lowercase particles such as ``van`` / ``de``, ``McDonald``-style prefixes, CJK names) and strict about the
things title fragments look like (digits, acronym runs such as ``VQAYi``, punctuation).
"""

from __future__ import annotations

import re
import unicodedata

# Lowercase words that occur inside names (``Ludwig van Beethoven``, ``Maria del Carmen``).
PARTICLES = frozenset({
    "van", "von", "der", "den", "de", "del", "della", "delle", "dei", "degli", "di", "da", "das", "dos", "do",
    "du", "des", "la", "le", "lo", "ter", "ten", "te", "het", "bin", "binti", "ibn", "bint", "al", "el", "y",
    "e", "zu", "zum", "zur", "vom", "af", "av", "auf", "op", "st", "dal", "dalla",
})
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
# First humps of CamelCase surnames that are ordinary in Western names (``McDonald``, ``LeCun``, ``DeWitt``).
_CAMEL_PREFIXES = frozenset({
    "Mc", "Mac", "De", "Di", "Da", "Du", "Del", "Della", "La", "Le", "Lo", "Van", "Von", "Fitz", "St", "Ter",
})

# Romanised syllables: Hanyu Pinyin plus common Korean given-name syllables. CamelCase given names such as
# ``WeiWei``, ``HaiFeng`` or ``SeungHyun`` are made of these, while CamelCase title words (``PyTorch``,
# ``DeepMind``) almost never are.
_PINYIN = """
a ai an ang ao e ei en eng er o ou
ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu
pa pai pan pang pao pei pen peng pi pian piao pie pin ping po pou pu
ma mai man mang mao me mei men meng mi mian miao mie min ming miu mo mou mu
fa fan fang fei fen feng fo fou fu
da dai dan dang dao de dei den deng di dia dian diao die ding diu dong dou du duan dui dun duo
ta tai tan tang tao te teng ti tian tiao tie ting tong tou tu tuan tui tun tuo
na nai nan nang nao ne nei nen neng ni nian niang niao nie nin ning niu nong nou nu nuan nue nuo nv nve
la lai lan lang lao le lei leng li lia lian liang liao lie lin ling liu lo long lou lu luan lue lun luo lv lve
ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan guang gui gun guo
ka kai kan kang kao ke kei ken keng kong kou ku kua kuai kuan kuang kui kun kuo
ha hai han hang hao he hei hen heng hong hou hu hua huai huan huang hui hun huo
ji jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun
qi qia qian qiang qiao qie qin qing qiong qiu qu quan que qun
xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun
zha zhai zhan zhang zhao zhe zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo
cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan chuang chui chun chuo
sha shai shan shang shao she shei shen sheng shi shou shu shua shuai shuan shuang shui shun shuo
ran rang rao re ren reng ri rong rou ru rua ruan rui run ruo
za zai zan zang zao ze zei zen zeng zi zong zou zu zuan zui zun zuo
ca cai can cang cao ce cen ceng ci cong cou cu cuan cui cun cuo
sa sai san sang sao se sen seng si song sou su suan sui sun suo
ya yan yang yao ye yi yin ying yo yong you yu yuan yue yun
wa wai wan wang wei wen weng wo wu
"""
_KOREAN = """
seung hyun hyeon jae hoon young yeong woo sung seong joon kyung gyeong soo hee ho jeong jung chul cheol
eun yoon kyu taek hwan won sik geun gil seok suk hye kwang myung nam ok se tae yeol jun jin min sang
"""
ROMANISED_SYLLABLES = frozenset((_PINYIN + _KOREAN).split())

# Capitalised words that are common in paper titles and (almost) never in names. A candidate name made of
# them ("Hub Repositories", "Supervised Learning") is far more likely the tail of a title.
_TITLE_WORDS = """
a an the of and or for with without via using towards toward on in at to from by into over under is are all
you need learning learned learn networks network neural deep model models modeling modelling language large
training data dataset datasets benchmark benchmarks framework frameworks method methods approach approaches
analysis detection generation graph graphs image images vision visual reinforcement diffusion efficient
adaptive system systems evaluation inference representation representations robust robustness scalable sparse
attention agent agents understanding segmentation recognition classification prediction estimation search
control policy planning reasoning retrieval knowledge embedding embeddings task tasks supervised unsupervised
self contrastive generative adversarial bayesian stochastic gradient descent convergence theory algorithm
algorithms problem problems equations equation dynamics physics quantum video audio speech text code tree
trees memory fast scaling laws matters transformer transformers optimization optimizer repositories repository
study survey review toward beyond revisiting rethinking improving improved multi based aware free guided
driven level end pretraining pre training fine tuning zero shot few
"""
TITLE_WORDS = frozenset(_TITLE_WORDS.split())
_INITIALS = re.compile(r"^(?:[^\W\d_]\.-?)+$")
_NAME_PREFIXES = ("al-", "el-", "d'", "l'", "d’", "l’")
_PART_SPLIT = re.compile(r"([-'’])")


def is_caseless_letter(ch: str) -> bool:
    """A letter of a script without case (CJK, Thai, Arabic, ...): names in it have no capital to start."""
    return ch.isalpha() and not ch.isupper() and not ch.islower()


def _humps(part: str) -> list[str] | None:
    """Split ``WeiWei`` into ``[Wei, Wei]``; None unless ``part`` is Upper-lower+ (Upper-lower+)*."""
    humps: list[str] = []
    for ch in part:
        if ch.isupper():
            humps.append(ch)
        elif ch.islower() and humps:
            humps[-1] += ch
        else:
            return None
    if any(len(h) < 2 for h in humps):
        return None
    return humps


def token_cost(token: str, *, first: bool, last: bool) -> float | None:
    """Cost of ``token`` as a word of a person's name (None = impossible).

    ``first``/``last`` say where in the name it stands: particles cannot start or end a name, suffixes
    (``Jr.``) can only end one.
    """
    if not token:
        return None
    low = token.lower()
    if low in PARTICLES and token == low:
        return None if first or last else 0.0
    if low in _SUFFIXES and not first and (token[0].isupper() or token.isupper()):
        return 0.0 if last else None
    if _INITIALS.match(token):
        return 0.0 if not last else 1.0
    if all(is_caseless_letter(ch) for ch in token):
        return 0.0
    if len(token) == 1:
        # A bare initial without its dot ("John F Kennedy").
        return 1.0 if token.isupper() else None
    for prefix in _NAME_PREFIXES:  # "al-Hassan", "d'Alembert": particle glued to the next word
        if token.startswith(prefix) and len(token) > len(prefix):
            if first:
                return None
            token = token[len(prefix):]
            break
    parts = [p for p in _PART_SPLIT.split(token) if p]
    words = [p for i, p in enumerate(parts) if i % 2 == 0]
    seps = [p for i, p in enumerate(parts) if i % 2 == 1]
    if len(words) != len(seps) + 1 or any(not w or not w.isalpha() for w in words):
        return None
    if not words[0][0].isupper():
        return None
    cost = 0.0
    for index, word in enumerate(words):
        if index > 0 and word.islower():
            continue  # "Sang-gil", "Dell'orco"
        if index == 0 and len(word) == 1 and word.isupper() and seps and seps[0] in "'’":
            continue  # "O'Neill", "D'Souza"
        if len(word) >= 2 and word.isupper():
            # All-caps surname ("SMITH") or an acronym; a glued first name cannot start with one cheaply.
            cost += 2.0 if first and index == 0 else 1.0
            continue
        humps = _humps(word)
        if humps is None:
            return None
        if len(humps) > 1:
            if all(h.lower() in ROMANISED_SYLLABLES for h in humps):
                continue
            if len(humps) == 2 and humps[0] in _CAMEL_PREFIXES:
                continue
            cost += 2.5
    return cost


def name_cost(name: str, *, glued: bool = False) -> float | None:
    """Cost of ``name`` as one person's full name; None when it cannot be one.

    Latin-script names need at least two words (a lone word is far more often the end of a title) and at most
    five non-particle words. A name written entirely in a caseless script (``王小明``, ``山田 太郎``) may be a
    single word. ``glued`` marks the first name of a list, glued to the title: it cannot start with an
    all-caps word or a bare capital, because those are indistinguishable from the end of an acronym
    (``…for VQAYi Li`` must not yield ``AYi Li``/``A Yi``).
    """
    name = unicodedata.normalize("NFC", name)
    if not name or name != name.strip() or "  " in name:
        return None
    tokens = name.split()
    if not tokens or len(tokens) > 8:
        return None
    caseless = [all(is_caseless_letter(c) for c in t) for t in tokens]
    if any(caseless):
        if not all(caseless) or len(tokens) > 3:
            return None
        return 0.0 if len("".join(tokens)) >= 2 else None
    if len(tokens) < 2:
        return None
    total = 0.0
    substantive = 0
    head = tokens[0]
    if glued and not _INITIALS.match(head) and (len(head) == 1 or head.replace("-", "").isupper()):
        return None
    for i, tok in enumerate(tokens):
        cost = token_cost(tok, first=i == 0, last=i == len(tokens) - 1)
        if cost is None:
            return None
        total += cost
        if tok.lower() in TITLE_WORDS and tok[0].isupper():
            total += 3.0
        if tok.lower() not in PARTICLES:
            substantive += 1
    if substantive > 5:
        return None
    if not any(len(t) > 1 and not _INITIALS.match(t) for t in tokens):
        return None  # "J. R." alone is not a name
    if substantive == 4:
        total += 1.0
    elif substantive == 5:
        total += 2.0
    return total

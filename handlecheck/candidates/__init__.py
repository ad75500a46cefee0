"""Brand -> candidates: the handles an impersonator would register instead of the brand's own,
ranked by danger (ranking.py), each naming the techniques that made it (families.py).

Pure functions: no I/O but reading the shipped Unicode confusables data.
"""

from .brand import MAX_BRAND_LENGTH, Brand, brand_problem
from .generator import generate, parse_techniques
from .keyboards import KEYBOARDS, LAYOUTS
from .skeleton import loose_skeleton, name_forms, skeleton
from .words import COMBO_WORDS, DEFAULT_AFFIXES, PARODY_WORDS, read_affixes

__all__ = [
    "COMBO_WORDS", "DEFAULT_AFFIXES", "KEYBOARDS", "LAYOUTS", "MAX_BRAND_LENGTH", "PARODY_WORDS", "Brand",
    "brand_problem", "generate", "loose_skeleton", "name_forms", "parse_techniques", "read_affixes", "skeleton",
]  # fmt: skip

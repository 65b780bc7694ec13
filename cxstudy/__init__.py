"""cxstudy: perception-gap studies in customer experience.

How far what leadership and staff believe about their customer experience sits
from what customers experience. See DESIGN.md and the README.
"""

from .clean import CleaningResult, clean
from .exceptions import CxStudyError, DataError, Problem, ReadError, StudyFileError
from .pipeline import run
from .readers import read_export, read_sources
from .study import Study, load_study

__version__ = "0.1.0"

__all__ = [
    "CleaningResult",
    "CxStudyError",
    "DataError",
    "Problem",
    "ReadError",
    "Study",
    "StudyFileError",
    "__version__",
    "clean",
    "load_study",
    "read_export",
    "read_sources",
    "run",
]

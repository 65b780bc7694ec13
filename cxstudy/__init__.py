"""cxstudy: perception-gap studies in customer experience.

How far what leadership and staff believe about their customer experience sits
from what customers experience. See the README and docs/
"""

from . import stats, voices
from ._version import __version__
from .analysis import Results, add_counts, analyze
from .clean import CleaningResult, clean
from .counts import LevelCounts, level_counts
from .exceptions import (
    CxStudyError,
    DataError,
    Problem,
    ReadError,
    ReportError,
    StudyFileError,
)
from .gaps import (
    agreement,
    blind_spots,
    dimension_gaps,
    dimension_scores,
    gap_table,
    kruskal_table,
    perception_gap_index,
    share_table,
)
from .metrics import (
    calibration_table,
    importance_performance,
    metric_counts,
    metric_gaps,
    metric_table,
)
from .pipeline import run
from .readers import iter_sources, read_export, read_sources
from .segments import SegmentCounts, segment_counts, segment_table
from .stats import cronbach_alpha
from .study import Study, load_study
from .suggest import suggest_themes
from .tone import tone_counts, tone_table
from .voices import theme_table, voice_counts, voice_similarity
from .waves import trend_table

__all__ = [
    "CleaningResult",
    "CxStudyError",
    "DataError",
    "LevelCounts",
    "Problem",
    "ReadError",
    "ReportError",
    "Results",
    "SegmentCounts",
    "Study",
    "StudyFileError",
    "__version__",
    "add_counts",
    "agreement",
    "analyze",
    "blind_spots",
    "calibration_table",
    "clean",
    "cronbach_alpha",
    "dimension_gaps",
    "dimension_scores",
    "gap_table",
    "importance_performance",
    "iter_sources",
    "kruskal_table",
    "level_counts",
    "load_study",
    "metric_counts",
    "metric_gaps",
    "metric_table",
    "perception_gap_index",
    "read_export",
    "read_sources",
    "run",
    "segment_counts",
    "segment_table",
    "share_table",
    "stats",
    "suggest_themes",
    "theme_table",
    "tone_counts",
    "tone_table",
    "trend_table",
    "voice_counts",
    "voice_similarity",
    "voices",
]

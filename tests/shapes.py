"""Small studies of other shapes than the example, written from a fixed seed.

Each is a study file plus its exports in a project folder, chosen so that the report must
read right for what the study file says, not for the example:

- ``stars``: two audiences (crew, passengers), a 1-5 star scale with 0 = not applicable,
  no metrics, estimates or open-ended questions; a cabin segment whose smallest level has
  3 passengers; Markdown and ``$`` in the title and an item.
- ``five``: five audiences on a 0-10 scale, NPS for every audience, open-ended questions
  with roles and a codebook, weights on the reference.
- ``mixed``: a dimension mixing 3-, 4- and 5-point scales (as the GSS does), CSAT and
  estimates by men of women's answers, and 90% intervals (``confidence: 0.90``).
- ``seasons``: three waves named spring, summer, autumn (not in sorted order) and an item
  first asked in summer; a pick-one question first asked in summer and a
  check-all-that-apply question joined by ";" in every wave.
- ``tiny``: an audience of three, below the minimum group size, whose name and open
  question carry Markdown and HTML (shown as written, never a link or an image), and a
  pick-one question whose option carries Markdown.
- ``flipped``: a reversed headline item ("Dealing with us can be frustrating", ``reverse:
  true``) beside a plain one, on a scale with neither ``top_box_label`` nor
  ``bottom_box_label``, answered by managers and clients in fixed counts
  (:data:`FLIPPED_ANSWERS`): 48% of managers answer "Strongly disagree", so the share the
  item counts (Strongly disagree or Disagree) is 60% of managers against 12% of clients.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

AGREE = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree",
         "Strongly agree"]
TITLE_STARS = "Skyline Air [crew vs passengers](javascript:alert(1)) $10{ *bold* <b>x</b>"
DOLLAR_ITEM = "Fares of $50 and over $100 are fair"


def _answers(rng, n: int, k: int, top: float, low_value: int = 1) -> np.ndarray:
    """n answers on a k-point scale (values low_value..) with about ``top`` in the top 2."""
    upper = rng.random(n) < top
    return np.where(upper, rng.integers(k - 2, k, n), rng.integers(0, k - 2, n)) + low_value


def _write(project: Path, slug: str, spec: dict, exports: dict[str, pd.DataFrame],
           extra: dict[str, str] | None = None) -> Path:
    raw = project / "data" / "raw" / slug
    raw.mkdir(parents=True, exist_ok=True)
    for name, frame in exports.items():
        frame.to_csv(raw / name, index=False)
    for name, text in (extra or {}).items():
        (project / "studies" / name).parent.mkdir(parents=True, exist_ok=True)
        (project / "studies" / name).write_text(text, encoding="utf-8")
    path = project / "studies" / f"{slug}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def stars(project: Path, rng) -> Path:
    items = ["Seat comfort", "Cleanliness", "On-time departure", DOLLAR_ITEM, "Food and drink"]
    exports = {}
    for name, n, top in (("crew.csv", 40, 0.8), ("passengers.csv", 200, 0.35)):
        frame = pd.DataFrame({f"R{j + 1}": _answers(rng, n, 5, top + 0.05 * j)
                              for j in range(len(items))})
        frame.iloc[::9, 2] = 0  # 0 = not applicable
        frame.insert(0, "Cabin", rng.choice(["Economy", "Business"], n, p=[0.7, 0.3]))
        if name == "passengers.csv":
            frame.loc[:2, "Cabin"] = "First"  # three passengers in First
        exports[name] = frame
    spec = {"study": TITLE_STARS, "slug": "stars", "min_group_size": 5,
            "sources": [{"path": "../data/raw/stars/crew.csv", "group": "crew"},
                        {"path": "../data/raw/stars/passengers.csv", "group": "passengers"}],
            "groups": ["crew", "passengers"],
            "scales": {"stars": {"values": [1, 2, 3, 4, 5], "top_box": 2, "missing": [0]}},
            "items": [{"id": f"r{j + 1}", "text": text, "scale": "stars", "column": f"R{j + 1}",
                       "dimension": "Comfort" if j < 2 else "Service", "headline": j == 0}
                      for j, text in enumerate(items)],
            "segments": [{"id": "cabin", "label": "Cabin", "column": "Cabin",
                          "order": ["Economy", "Business", "First"]}]}
    return _write(project, "stars", spec, exports)


FIVE = [("board", 8, 0.9), ("managers", 30, 0.75), ("frontline", 60, 0.55),
        ("partners", 25, 0.5), ("clients", 300, 0.3)]
PHRASES = {"strength": ["quick delivery", "friendly people", "fair price", "good quality"],
           "problem": ["slow replies", "hidden fees", "confusing invoices", "slow replies"]}


def five(project: Path, rng) -> Path:
    exports = {}
    for group, n, top in FIVE:
        frame = pd.DataFrame({f"Q{j + 1}": _answers(rng, n, 11, top / 2, low_value=0)
                              for j in range(4)})
        frame["NPS"] = np.clip(np.round(rng.normal(5 + 4 * top, 2, n)), 0, 10).astype(int)
        for role in ("strength", "problem"):
            frame[role] = [" and ".join(rng.choice(PHRASES[role], 2)) for _ in range(n)]
        frame["Area"] = rng.choice(["Urban", "Rural"], n, p=[0.6, 0.4])
        exports[f"{group}.csv"] = frame
    codebook = {"themes": [
        {"id": "speed", "label": "Speed", "patterns": ["quick", "slow"]},
        {"id": "people", "label": "People", "patterns": ["friendly"]},
        {"id": "money", "label": "Money", "patterns": ["price", "fees", "invoice*"]}]}
    spec = {"study": "Northwind — five audiences", "slug": "five", "min_group_size": 5,
            "sources": [{"path": f"../data/raw/five/{g}.csv", "group": g} for g, _, _ in FIVE],
            "groups": [g for g, _, _ in FIVE],
            "scales": {"ten": {"values": list(range(11)), "top_box": 3}},
            "items": [{"id": f"q{j + 1}", "text": f"Statement {j + 1} about the service",
                       "scale": "ten", "column": f"Q{j + 1}", "headline": j == 0}
                      for j in range(4)],
            "metrics": {"nps": {"column": "NPS"}},
            "open_ended": [{"id": "good", "question": "What works?", "role": "strength",
                            "column": "strength"},
                           {"id": "bad", "question": "What does not?", "role": "problem",
                            "column": "problem"}],
            "themes": "themes/five.yml",
            "weights": {"group": "clients", "margins": {"Area": {"Urban": 0.5, "Rural": 0.5}}}}
    return _write(project, "five", spec, exports,
                  {"themes/five.yml": yaml.safe_dump(codebook, sort_keys=False)})


def mixed(project: Path, rng) -> Path:
    three = ["Worse", "Same", "Better"]
    four = ["Very dissatisfied", "A little dissatisfied", "Moderately satisfied",
            "Very satisfied"]
    exports = {}
    for group, n, top in (("men", 120, 0.5), ("women", 140, 0.4)):
        exports[f"{group}.csv"] = pd.DataFrame({
            "pay": [three[i - 1] for i in _answers(rng, n, 3, top)],
            "satjob": [four[i - 1] for i in _answers(rng, n, 4, top)],
            "respect": [AGREE[i - 1] for i in _answers(rng, n, 5, top)],
            "overall": [four[i - 1] for i in _answers(rng, n, 4, top)],
            "guess": np.clip(rng.normal(60, 15, n), 0, 100).round(),
        })
    spec = {"study": "Work survey — mixed scales", "slug": "mixed", "min_group_size": 5,
            "confidence": 0.90,
            "sources": [{"path": f"../data/raw/mixed/{g}.csv", "group": g}
                        for g in ("men", "women")],
            "groups": ["men", "women"],
            "scales": {"change3": {"labels": three, "top_box": 1},
                       "sat4": {"labels": four, "top_box": 2},
                       "agree5": {"labels": AGREE, "top_box": 2}},
            "items": [{"id": "pay", "text": "Pay compared with last year", "scale": "change3",
                       "column": "pay", "dimension": "Work"},
                      {"id": "satjob", "text": "Satisfaction with job", "scale": "sat4",
                       "column": "satjob", "dimension": "Work", "headline": True},
                      {"id": "respect", "text": "I am treated with respect", "scale": "agree5",
                       "column": "respect", "dimension": "Work"}],
            "metrics": {"csat": {"column": "overall", "scale": "sat4"}},
            "estimates": [{"item": "satjob", "columns": {"men": "guess"}}]}
    return _write(project, "mixed", spec, exports)


SEASONS = ["spring", "summer", "autumn"]


def seasons(project: Path, rng) -> Path:
    exports, sources = {}, []
    for w, wave in enumerate(SEASONS):
        for group, n, top in (("managers", 30, 0.8), ("members", 150, 0.3 + 0.15 * w)):
            frame = pd.DataFrame({f"Q{j + 1}": [AGREE[i - 1] for i in
                                                _answers(rng, n, 5, top)] for j in range(3)})
            if wave == "spring":
                frame["Q3"] = "Strongly agree"  # another question on this column in spring
            frame.insert(0, "id", [f"{group[0]}{i}" for i in range(n)])  # a panel
            own = np.random.default_rng(w * 10 + len(group))  # the main stream unchanged
            frame["C1"] = own.choice(FACILITIES, size=n, p=[0.5, 0.3, 0.2] if group ==
                                     "managers" else [0.2, 0.3, 0.5])
            ticked = own.random((n, len(REASONS))) < ([0.7, 0.2, 0.3] if group == "managers"
                                                      else [0.2, 0.5, 0.4])
            frame["C2"] = ["; ".join(r for r, t in zip(REASONS, row, strict=True) if t)
                           for row in ticked]
            exports[f"{wave}_{group}.csv"] = frame
            sources.append({"path": f"../data/raw/seasons/{wave}_{group}.csv", "group": group,
                            "wave": wave, "id_column": "id"})
    spec = {"study": "Club — three seasons", "slug": "seasons", "min_group_size": 5,
            "waves": SEASONS, "sources": sources, "groups": ["managers", "members"],
            "scales": {"agree5": {"labels": AGREE, "top_box": 2, "top_box_label": "agree"}},
            "items": [{"id": "welcome", "text": "Members feel welcome", "scale": "agree5",
                       "column": "Q1", "headline": True},
                      {"id": "value", "text": "The fee is good value", "scale": "agree5",
                       "column": "Q2"},
                      {"id": "app", "text": "The booking app works well", "scale": "agree5",
                       "column": "Q3", "waves": ["summer", "autumn"]}],
            "choices": [{"id": "facility", "text": "Which facility do members use most?",
                         "options": FACILITIES, "column": "C1", "waves": ["summer", "autumn"]},
                        {"id": "renew", "text": "What would make members renew?",
                         "multiple": True, "options": REASONS, "column": "C2"}]}
    return _write(project, "seasons", spec, exports)


FACILITIES = ["Pool", "Gym", "Courts"]
REASONS = ["Lower fee", "More classes", "Longer hours"]


EXECS = "execs [board](javascript:alert(1))"
QUESTION_TINY = "What **else**? ![pixel](http://tracker.example/p.png) <i>x</i>"


def tiny(project: Path, rng) -> Path:
    exports = {name: pd.DataFrame({"Q1": [AGREE[i - 1] for i in _answers(rng, n, 5, top)],
                                   "Q2": [AGREE[i - 1] for i in _answers(rng, n, 5, top)],
                                   "OE": ["more **updates** please"] * n,
                                   "CH": ["*Email* me", "Call"] * (n // 2) + ["Call"] * (n % 2)})
               for name, n, top in (("execs.csv", 3, 0.9), ("clients.csv", 60, 0.3))}
    spec = {"study": "Tiny board", "slug": "tiny", "min_group_size": 5,
            "sources": [{"path": "../data/raw/tiny/execs.csv", "group": EXECS},
                        {"path": "../data/raw/tiny/clients.csv", "group": "clients"}],
            "groups": [EXECS, "clients"],
            "open_ended": [{"id": "more", "question": QUESTION_TINY, "column": "OE"}],
            "choices": [{"id": "reach", "text": "How should we <b>reach</b> you?",
                         "options": ["*Email* me", "Call"], "column": "CH"}],
            "scales": {"agree5": {"labels": AGREE, "top_box": 2}},
            "items": [{"id": "good", "text": "Service is good", "scale": "agree5", "column": "Q1",
                       "headline": True, "dimension": "Service"},
                      {"id": "fast", "text": "Service is fast", "scale": "agree5",
                       "column": "Q2", "dimension": "Service"}]}
    return _write(project, "tiny", spec, exports)


FLIPPED_TEXT = "Dealing with us can be frustrating"
FLIPPED_ANSWERS = {  # audience -> item -> answers per label of AGREE, as given (not reversed)
    "managers": {"Q1": [12, 3, 4, 3, 3], "Q2": [1, 2, 2, 10, 10]},
    "clients": {"Q1": [5, 7, 20, 38, 30], "Q2": [10, 20, 30, 25, 15]},
}


def flipped(project: Path, rng) -> Path:
    """The ``flipped`` study: a reversed headline item, answers in the fixed counts of
    :data:`FLIPPED_ANSWERS` (``rng`` only shuffles each column's answers over the rows)."""
    exports = {}
    for group, items in FLIPPED_ANSWERS.items():
        exports[f"{group}.csv"] = pd.DataFrame({
            column: rng.permutation([label for label, count in zip(AGREE, counts, strict=True)
                                     for _ in range(count)])
            for column, counts in items.items()})
    spec = {"study": "Flipped statements", "slug": "flipped", "min_group_size": 5,
            "sources": [{"path": f"../data/raw/flipped/{group}.csv", "group": group}
                        for group in FLIPPED_ANSWERS],
            "groups": list(FLIPPED_ANSWERS), "reference": "clients",
            "scales": {"agree5": {"labels": AGREE, "top_box": 2}},
            "items": [{"id": "frustrating", "text": FLIPPED_TEXT, "scale": "agree5",
                       "column": "Q1", "reverse": True, "headline": True,
                       "dimension": "Effort"},
                      {"id": "helpful", "text": "People here are helpful", "scale": "agree5",
                       "column": "Q2", "dimension": "Effort"}]}
    return _write(project, "flipped", spec, exports)


SHAPES = {"stars": stars, "five": five, "mixed": mixed, "seasons": seasons, "tiny": tiny,
          "flipped": flipped}


def write_all(project: Path, seed: int = 20261124) -> dict[str, Path]:
    """Every shaped study into ``project``: slug -> study file. (The example at a
    minimum group size of 30 is checked on its tables, tests/test_analysis.py.)"""
    rng = np.random.default_rng(seed)
    return {slug: make(project, rng) for slug, make in SHAPES.items()}


SITES_ITEMS = ["Agents solve my problem on the first call", "Agents are polite",
               "Waiting times are short"]


def sites(project: Path, rng) -> Path:
    """Not in SHAPES (built by tests/test_segments.py on its own): contact-centre agents
    (labelled "Contact-centre agents") against callers, with a Site segment asked of both
    and a Plan segment asked of callers only, whose levels have exactly the same
    distributions, so that no level may be singled out; two small site answers
    ("Not stated", "Refused") pooled by ``other:``."""
    def answers(n: int, top: int) -> list[str]:
        return (["Agree", "Strongly agree"] * n)[:top] + (
            ["Disagree", "Neither agree nor disagree"] * n)[:n - top]

    agents, callers = [], []
    for site, (n_agents, top_agents, n_callers, top_callers) in {
            "North": (30, 21, 80, 24), "South": (30, 21, 80, 24), "East": (30, 21, 80, 24),
            "Not stated": (2, 1, 5, 2), "Refused": (3, 2, 5, 1)}.items():
        # callers alternate plans, so each plan of a site holds the same share
        mine = [{"Site": site} for _ in range(n_agents)]
        theirs = [{"Site": site, "Plan": ["Basic", "Plus"][i % 2]} for i in range(n_callers)]
        for j in range(len(SITES_ITEMS)):
            for row, answer in zip(mine, answers(n_agents, top_agents), strict=True):
                row[f"Q{j + 1}"] = answer
            for row, answer in zip(theirs, answers(n_callers, top_callers), strict=True):
                row[f"Q{j + 1}"] = answer
        agents += mine
        callers += theirs
    del rng  # the same answers whatever the seed
    exports = {"agents.csv": pd.DataFrame(agents), "callers.csv": pd.DataFrame(callers)}
    spec = {"study": "Contact centre — sites", "slug": "sites", "min_group_size": 5,
            "sources": [{"path": "../data/raw/sites/agents.csv", "group": "agents"},
                        {"path": "../data/raw/sites/callers.csv", "group": "callers"}],
            "groups": [{"id": "agents", "label": "Contact-centre agents"},
                       {"id": "callers", "label": "Callers"}],
            "scales": {"agree5": {"labels": AGREE, "top_box": 2, "top_box_label": "agree"}},
            "items": [{"id": f"q{j + 1}", "text": text, "scale": "agree5",
                       "column": f"Q{j + 1}", "headline": j == 0}
                      for j, text in enumerate(SITES_ITEMS)],
            "segments": [{"id": "site", "label": "Site", "column": "Site",
                          "order": ["North", "South", "East"], "other": "Other / not stated"},
                         {"id": "plan", "label": "Plan", "columns": {"callers": "Plan"}}]}
    return _write(project, "sites", spec, exports)

"""Generate the example study's raw exports (data/raw/example/) from a fixed seed.

Larkfield Home Energy (fictional) asked its leaders, staff and customers the same
questions. Leaders believe they deliver an excellent experience; customers largely
do not. Some items show a wide gap, some none, and on value for money customers sit
above leaders. The three exports carry the dirt real exports have:

* ``leadership.csv`` — an internal form, UTF-8 with BOM, labels in odd casing and
  spacing, a repeated respondent, a speeder, a straightliner, names and e-mails.
* ``staff.xlsx`` — an HR-tool Excel export: ``Completed`` Yes/No, duration in
  seconds, an attention-check row, "Don't know" answers, duplicates.
* ``customers_qualtrics.csv`` — a Qualtrics export (3 header rows), with survey
  preview rows, unfinished responses, repeated ResponseIds, speeders,
  straightliners, failed attention checks, IP addresses, e-mails and locations.

An earlier wave (``2025/``: the same three exports a year before) shows the change:
the gaps were wider then, most on billing and reaching the right person. Leaders and
staff answer the internal forms under the same ids both years, and some customers of
the customer panel answered both waves under the same ResponseId: returning
respondents, not duplicates.

Run ``python scripts/make_example_data.py`` to rewrite the files; the output is
byte-for-byte reproducible (tests/test_example.py checks the committed files).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "raw" / "example"
SEED = 20261122
EARLIER_SEED = 20251122
# the 2025 wave: change in the target top-2-box share of (leadership, staff, customers)
# from 2026's, per item; customers were less satisfied, staff and leaders more sure
EARLIER_SHIFT = {
    "excellent": (0.06, 0.10, -0.07), "billing_clear": (0.04, 0.10, -0.12),
    "easy_reach": (0.04, 0.10, -0.12), "responsive": (0.0, 0.06, -0.10),
    "informed": (0.0, 0.04, -0.06), "enjoyable": (0.02, 0.04, -0.06),
    "value": (0.0, 0.0, 0.04),
}

AGREE = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree",
         "Strongly agree"]
EFFORT = ["Very difficult", "Difficult", "Somewhat difficult", "Neither easy nor difficult",
          "Somewhat easy", "Easy", "Very easy"]
SATISFACTION = ["Very dissatisfied", "Dissatisfied", "Neither satisfied nor dissatisfied",
                "Satisfied", "Very satisfied"]

# id, statement (leaders/staff wording), customer wording, top-2-box share the
# generator aims at for leadership, staff, customers. `frustrating` is asked
# negatively; its shares are for the reversed (disagree) end.
ITEMS = [
    ("excellent", "We deliver an excellent customer experience",
     "Larkfield delivers an excellent customer experience", (0.80, 0.55, 0.12)),
    ("consistent", "Our quality is consistent every time",
     "Larkfield's quality is consistent every time", (0.72, 0.55, 0.38)),
    ("value", "We offer good value for money",
     "Larkfield offers good value for money", (0.30, 0.45, 0.62)),
    ("responsive", "We respond quickly when customers get in touch",
     "Larkfield responds quickly when I get in touch", (0.76, 0.50, 0.22)),
    ("informed", "We keep customers informed about their account",
     "Larkfield keeps me informed about my account", (0.68, 0.46, 0.30)),
    ("billing_clear", "Our bills are clear and easy to understand",
     "My bills are clear and easy to understand", (0.74, 0.52, 0.18)),
    ("friendly", "Our staff are friendly and helpful",
     "Larkfield staff are friendly and helpful", (0.78, 0.80, 0.76)),
    ("easy_reach", "It is easy for customers to reach the right person",
     "It is easy to reach the right person at Larkfield", (0.66, 0.40, 0.24)),
    ("easy_online", "It is easy to do business with us online",
     "It is easy to do business with Larkfield online", (0.70, 0.50, 0.46)),
    ("opening_hours", "Our opening hours suit customers",
     "Larkfield's opening hours suit me", (0.60, 0.58, 0.60)),
    ("trusted", "Customers trust our brand", "I trust the Larkfield brand",
     (0.82, 0.70, 0.52)),
    ("low_effort", "Getting things done with us takes little effort",
     "Getting things done with Larkfield takes little effort", (0.70, 0.42, 0.25)),
    ("frustrating", "Dealing with us can be frustrating",
     "Dealing with Larkfield can be frustrating", (0.70, 0.45, 0.22)),
    ("meets_needs", "Our products and services meet customers' needs",
     "Larkfield's products and services meet my needs", (0.84, 0.70, 0.55)),
    ("easy_to_use", "Our products and services are easy to use",
     "Larkfield's products and services are easy to use", (0.75, 0.55, 0.40)),
    ("enjoyable", "Customers enjoy dealing with us", "I enjoy dealing with Larkfield",
     (0.72, 0.50, 0.20)),
]
REVERSED = {"frustrating"}

OPEN = {
    "do_well": {
        "leadership": ["Our engineers are the best in the region", "Reliable supply and fast "
                       "repairs", "We are innovative: the new app and smart meters",
                       "Strong brand and a loyal customer base", "Friendly, knowledgeable staff"],
        "staff": ["The field engineers fix things quickly", "Friendly staff who care",
                  "We help customers who are struggling to pay", "Reliable supply",
                  "The team works hard for customers"],
        "customers": ["The engineers were friendly and helpful", "Supply is reliable, no "
                      "cuts", "Friendly staff on the phone once you get through",
                      "Fair prices compared with others", "The app is handy for meter "
                      "readings", "Nothing much, to be honest"],
    },
    "improve": {
        "leadership": ["Speed up the new product launches", "Better use of data",
                       "Marketing could tell our story better", "More self-service online"],
        "staff": ["Our systems are slow and the billing system confuses customers",
                  "Too many handoffs between teams", "We need more people in the contact "
                  "centre", "Customers wait too long on the phone"],
        "customers": ["The bills are confusing, I never know what I pay for", "Waiting on "
                      "the phone for 40 minutes is not acceptable", "Impossible to reach the "
                      "right person", "Too many forms to fill in online", "Answer emails "
                      "faster", "Billing errors took months to fix"],
    },
    "competition": {
        "leadership": ["They copy what we do, a step behind", "Cheaper but worse service",
                       "They spend more on advertising"],
        "staff": ["They have a better app", "Their billing is simpler", "They answer the "
                  "phone faster"],
        "customers": ["My neighbour's supplier has a simple bill", "They answer the phone "
                      "faster", "Online chat that actually works", "Cheaper, that is all",
                      "I don't know any other supplier"],
    },
    "continue_start": {
        "leadership": ["Continue investing in smart meters", "Start a loyalty programme",
                       "Keep growing the brand"],
        "staff": ["Start listening to front-line staff", "Fix the billing system",
                  "Keep the local engineers"],
        "customers": ["Start sending bills I can understand", "Keep the friendly engineers",
                      "Start answering the phone", "Continue the hardship support",
                      "Stop the automated phone menu"],
    },
}
QUESTIONS = {
    "do_well": "What do you feel we do well?",
    "improve": "What do you feel could be improved?",
    "competition": "What does our competition do differently? Are those differences good or "
                   "bad?",
    "continue_start": "What needs to continue to be done, or be started?",
}
FIRST = ["Ann", "Ben", "Chloe", "Dev", "Ella", "Farid", "Grace", "Hugo", "Ines", "Jon", "Kai",
         "Lena", "Maya", "Nils", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tara"]
LAST = ["Adams", "Brown", "Clarke", "Dunn", "Evans", "Fox", "Green", "Hall", "Iqbal", "Jones",
        "Khan", "Lewis", "Moore", "Novak", "Owen", "Patel", "Reid", "Shaw", "Turner", "Wood"]


def answer_distribution(top2: float) -> np.ndarray:
    """Probabilities of the 5 agreement levels for a target top-2-box share."""
    rest = 1 - top2
    return np.array([0.20 * rest, 0.35 * rest, 0.45 * rest, 0.55 * top2, 0.45 * top2])


DIMENSION_OF = {"excellent": 0, "consistent": 1, "value": 1, "responsive": 2, "informed": 2,
                "billing_clear": 2, "friendly": 2, "easy_reach": 3, "easy_online": 3,
                "opening_hours": 3, "trusted": 4, "low_effort": 5, "frustrating": 5,
                "meets_needs": 6, "easy_to_use": 6, "enjoyable": 6}


def draw_items(rng, n: int, group_index: int, dont_know: float,
               shift: dict | None = None) -> np.ndarray:
    """n x items array of codes 1..5 (0 = Don't know), raw (unreversed) codes.

    Answers are cut from a latent score: a general impression shared by all items,
    a factor shared within each dimension and item noise (loadings 0.55 / 0.45), so
    items correlate as in real surveys; the cut points give each item the target
    distribution of :func:`answer_distribution`.
    """
    from scipy.stats import norm

    general = rng.normal(size=n)
    dimensions = rng.normal(size=(n, 7))
    codes = np.empty((n, len(ITEMS)), dtype=int)
    for j, (item_id, _, _, shares) in enumerate(ITEMS):
        latent = 0.55 * general + 0.45 * dimensions[:, DIMENSION_OF[item_id]] \
            + np.sqrt(1 - 0.55 ** 2 - 0.45 ** 2) * rng.normal(size=n)
        target = shares[group_index] + (shift or {}).get(item_id, (0, 0, 0))[group_index]
        cuts = norm.ppf(np.cumsum(answer_distribution(target))[:-1])
        answer = np.searchsorted(cuts, latent) + 1
        if item_id in REVERSED:
            answer = 6 - answer
        answer[rng.random(n) < dont_know] = 0
        codes[:, j] = answer
    return codes


def open_answers(rng, n: int, group: str, blank: float) -> dict[str, list[str]]:
    answers = {}
    for qid, pools in OPEN.items():
        pool = pools[group]
        column = []
        for _ in range(n):
            if rng.random() < blank:
                column.append("")
            else:
                k = 1 + int(rng.random() < 0.25)
                picks = rng.choice(len(pool), size=k, replace=False)
                column.append(". ".join(pool[p] for p in picks))
        answers[qid] = column
    return answers


def agree_label(code: int, rng, messy: bool) -> str:
    if code == 0:
        return rng.choice(["Don't know", "Don\u2019t know", "don't know"]) if messy else \
            "Don't know"
    label = AGREE[code - 1]
    if messy and rng.random() < 0.3:
        label = rng.choice([label.lower(), label.upper(), f" {label} ", label.title()])
    return str(label)


def leadership(rng, shift: dict | None = None) -> list[dict]:
    n = 25
    codes = draw_items(rng, n, 0, dont_know=0.01, shift=shift)
    texts = open_answers(rng, n, "leadership", blank=0.1)
    roles = ["CEO", "CFO", "COO", "Director", "Head of Service", "Regional manager"]
    rows = []
    for i in range(n):
        first, last = FIRST[i % 20], LAST[(i * 7) % 20]
        row = {"Respondent": f"L{i + 1:03d}", "Name": f"{first} {last}",
               "Email": f"{first.lower()}.{last.lower()}@larkfield.example",
               "Role": roles[i % len(roles)],
               "Duration (seconds)": int(rng.normal(540, 120))}
        for j in range(len(ITEMS)):
            row[f"Q{j + 1}"] = agree_label(int(codes[i, j]), rng, messy=True)
        estimate = int(np.clip(rng.normal(72, 12), 30, 100))
        row["Q17"] = f"{estimate}%" if i == 3 else str(estimate)
        for k, qid in enumerate(OPEN):
            row[f"OE{k + 1}"] = texts[qid][i]
        rows.append(row)
    # dirt: a repeated submission, a speeder, a straightliner
    repeat = dict(rows[4])
    repeat["Duration (seconds)"] = 612
    speeder = dict(rows[10], Respondent="L026", Name="Paul Quick",
                   Email="paul.quick@larkfield.example", **{"Duration (seconds)": 45})
    flat = dict(rows[11], Respondent="L027", Name="Vera Flat",
                Email="vera.flat@larkfield.example",
                **{f"Q{j + 1}": "Strongly agree" for j in range(len(ITEMS))})
    flat["Duration (seconds)"] = 300
    repeat2 = dict(rows[17])
    rows += [repeat, speeder, flat, repeat2]
    order = rng.permutation(len(rows))
    return [rows[i] for i in order]


# where staff work: assigned by employee number (no random draw, so the answers stay as
# they were before the column existed)
STAFF_REGIONS = ["North", "North", "North", "North", "South", "South", "South", "East", "East",
                 "West"]


def tenure_years(i: int, mean_item: float) -> int:
    """A customer's years with Larkfield: longer-standing customers are happier. Computed,
    not drawn, so the answers stay as they were before the column existed."""
    return int(np.clip(round(3 + 4 * (mean_item - 3) + ((i * 37) % 9 - 4) * 0.7), 0, 25))


def staff(rng, shift: dict | None = None) -> list[dict]:
    n = 150
    codes = draw_items(rng, n, 1, dont_know=0.04, shift=shift)
    texts = open_answers(rng, n, "staff", blank=0.25)
    teams = ["Contact centre", "Field engineering", "Billing", "Digital", "Sales"]
    rows = []
    for i in range(n):
        row = {"EmployeeID": f"E{1000 + i}", "Team": teams[i % 5],
               "Region": STAFF_REGIONS[(i * 3) % 10], "Completed": "Yes",
               "Time taken (s)": int(max(240, rng.normal(480, 90)))}
        for j in range(len(ITEMS)):
            row[f"S{j + 1:02d}"] = agree_label(int(codes[i, j]), rng, messy=False)
        row["ATT"] = "Agree"
        row["S17"] = int(np.clip(rng.normal(50, 18), 0, 100))
        for k, qid in enumerate(OPEN):
            row[f"Open {k + 1}"] = texts[qid][i]
        rows.append(row)
    extra = []
    for i in range(3):  # unfinished: stopped half-way
        row = dict(rows[20 + i], EmployeeID=f"E{2000 + i}", Completed="No")
        for j in range(8, len(ITEMS)):
            row[f"S{j + 1:02d}"] = None
        extra.append(row)
    extra += [dict(rows[30]), dict(rows[31])]  # duplicates
    for i in range(3):  # straightliners
        extra.append(dict(rows[40 + i], EmployeeID=f"E{2100 + i}",
                          **{f"S{j + 1:02d}": "Agree" for j in range(len(ITEMS))}))
    for i in range(2):  # speeders
        extra.append(dict(rows[50 + i], EmployeeID=f"E{2200 + i}",
                          **{"Time taken (s)": 70 + 10 * i}))
    for i in range(2):  # failed the attention check
        extra.append(dict(rows[60 + i], EmployeeID=f"E{2300 + i}", ATT="Disagree"))
    rows += extra
    order = rng.permutation(len(rows))
    return [rows[i] for i in order]


def customers(rng, n: int = 1000, shift: dict | None = None, first_day: str = "2026-09-01",
              returning: list[str] = ()) -> tuple[list[str], list[str], list[str],
                                                  list[list[str]]]:
    codes = draw_items(rng, n, 2, dont_know=0.03, shift=shift)
    texts = open_answers(rng, n, "customers", blank=0.35)
    names = (["StartDate", "EndDate", "Status", "IPAddress", "Progress",
              "Duration (in seconds)", "Finished", "RecordedDate", "ResponseId",
              "RecipientLastName", "RecipientFirstName", "RecipientEmail", "ExternalReference",
              "LocationLatitude", "LocationLongitude", "DistributionChannel", "UserLanguage",
              "Region", "Tenure"]
             + [f"Q1_{j + 1}" for j in range(len(ITEMS))] + ["Q1_17"]
             + ["Q5", "Q6", "Q7"] + [f"Q{8 + k}" for k in range(len(OPEN))])
    texts_row = (["Start Date", "End Date", "Response Type", "IP Address", "Progress",
                  "Duration (in seconds)", "Finished", "Recorded Date", "Response ID",
                  "Recipient Last Name", "Recipient First Name", "Recipient Email",
                  "External Data Reference", "Location Latitude", "Location Longitude",
                  "Distribution Channel", "User Language", "Region",
                  "How many years have you been a Larkfield customer?"]
                 + [f"How much do you agree or disagree with each statement? - {c}"
                    for _, _, c, _ in ITEMS]
                 + ["How much do you agree or disagree with each statement? - To show you "
                    "are reading, please choose Agree"]
                 + ["How likely are you to recommend Larkfield to a friend or colleague?",
                    "How easy was it to get what you needed from Larkfield today?",
                    "Overall, how satisfied are you with Larkfield?"]
                 + [QUESTIONS[q].replace("we ", "Larkfield ").replace("our ", "Larkfield's ")
                    for q in OPEN])
    import_ids = (["startDate", "endDate", "status", "ipAddress", "progress", "duration",
                   "finished", "recordedDate", "_recordId", "recipientLastName",
                   "recipientFirstName", "recipientEmail", "externalDataReference",
                   "locationLatitude", "locationLongitude", "distributionChannel",
                   "userLanguage", "Region", "QID4"]
                  + [f"QID1_{j + 1}" for j in range(len(ITEMS) + 1)]
                  + ["QID5", "QID6", "QID7"] + [f"QID{8 + k}_TEXT" for k in range(len(OPEN))])
    import_ids = [json.dumps({"ImportId": i}, separators=(",", ":")) for i in import_ids]
    regions = rng.choice(["North", "South", "East", "West"], size=n, p=[0.4, 0.3, 0.2, 0.1])
    mean_item = np.where(codes > 0, codes, 3).mean(axis=1)
    rows = []
    for i in range(n):
        start = np.datetime64(f"{first_day}T08:00:00") + np.timedelta64(int(i * 2437), "s")
        duration = int(np.clip(rng.lognormal(np.log(420), 0.35), 150, 3000))
        end = start + np.timedelta64(duration, "s")
        first, last = FIRST[int(rng.integers(20))], LAST[int(rng.integers(20))]
        promoter_lean = (mean_item[i] - 3) * 2.2
        nps = int(np.clip(np.round(rng.normal(6.2 + promoter_lean, 2.0)), 0, 10))
        nps_text = {0: "0 - Not at all likely", 10: "10 - Extremely likely"}.get(nps, str(nps))
        effort = int(np.clip(np.round(rng.normal(3.6 + (mean_item[i] - 3) * 1.5, 1.3)), 1, 7))
        sat = int(np.clip(np.round(rng.normal(3.0 + (mean_item[i] - 3) * 1.2, 0.9)), 1, 5))
        answers = [AGREE[c - 1] if c else "Don't know" for c in codes[i]]
        opens = [texts[q][i] for q in OPEN]
        row = [str(start).replace("T", " "), str(end).replace("T", " "), "IP Address",
               f"203.0.113.{int(rng.integers(1, 255))}", "100", str(duration), "True",
               str(end).replace("T", " "), f"R_{_token(rng)}", last, first,
               f"{first.lower()}.{last.lower()}{i}@mail.example", "",
               f"{51 + rng.random():.6f}", f"{-1 - rng.random():.6f}", "anonymous", "EN",
               str(regions[i]), str(tenure_years(i, mean_item[i])), *answers, "Agree",
               nps_text, EFFORT[effort - 1],
               SATISFACTION[sat - 1], *opens]
        if i < len(returning):  # a panel member who answered the other wave too
            row[names.index("ResponseId")] = returning[i]
        rows.append(row)
    # personal data typed into answers: must be scrubbed before it reaches processed data
    rows[7][names.index("Q9")] = "Call me on 07700 900123 about the billing mistake"
    rows[8][names.index("Q9")] = ("Email me at " + rows[8][names.index("RecipientEmail")]
                                  + " - nobody ever replies")
    first_name = rows[9][names.index("RecipientFirstName")]
    rows[9][names.index("Q8")] = f"The engineer remembered my name, {first_name}, nice touch"
    rows[12][names.index("Q9")] = "<b>Bills</b> & letters are confusing"
    extra = []
    status_i, channel_i = names.index("Status"), names.index("DistributionChannel")
    finished_i, progress_i = names.index("Finished"), names.index("Progress")
    duration_i, id_i = names.index("Duration (in seconds)"), names.index("ResponseId")
    for i in range(4):  # survey previews by the research team
        row = list(rows[100 + i])
        row[status_i], row[channel_i] = "Survey Preview", "preview"
        row[id_i] = f"R_{_token(rng)}"
        extra.append(row)
    for i in range(30):  # unfinished
        row = list(rows[200 + i])
        row[finished_i], row[progress_i] = "False", str(int(rng.integers(10, 90)))
        row[id_i] = f"R_{_token(rng)}"
        cut = names.index("Q1_1") + int(rng.integers(2, 14))
        for j in range(cut, len(row)):
            row[j] = ""
        extra.append(row)
    for i in range(10):  # the same response exported twice
        extra.append(list(rows[300 + i]))
    for i in range(15):  # speeders
        row = list(rows[400 + i])
        row[duration_i] = str(int(rng.integers(35, 110)))
        row[id_i] = f"R_{_token(rng)}"
        extra.append(row)
    q1 = names.index("Q1_1")
    for i in range(8):  # straightliners
        row = list(rows[500 + i])
        row[q1:q1 + len(ITEMS)] = [AGREE[int(rng.integers(0, 5))]] * len(ITEMS)
        row[names.index("Q1_17")] = AGREE[3]
        row[id_i] = f"R_{_token(rng)}"
        extra.append(row)
    for i in range(10):  # failed the attention check
        row = list(rows[600 + i])
        row[names.index("Q1_17")] = AGREE[int(rng.choice([0, 1, 2, 4]))]
        row[id_i] = f"R_{_token(rng)}"
        extra.append(row)
    rows += extra
    order = rng.permutation(len(rows))
    return names, texts_row, import_ids, [rows[i] for i in order]


def _token(rng) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(alphabet[int(k)] for k in rng.integers(0, len(alphabet), size=15))


def write_csv(path: Path, header_rows: list[list[str]], rows: list[list[str]], *,
              quote_all: bool) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
                        lineterminator="\r\n")
    writer.writerows(header_rows)
    writer.writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))


def write_xlsx(path: Path, records: list[dict]) -> None:
    from datetime import datetime

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Responses"
    header = list(records[0])
    sheet.append(header)
    for record in records:
        sheet.append([record[h] for h in header])
    fixed = datetime(2026, 10, 1, 9, 0, 0)
    workbook.properties.created = fixed
    workbook.properties.modified = fixed
    buffer = io.BytesIO()
    workbook.save(buffer)
    # Re-pack with fixed timestamps so the file is byte-for-byte reproducible.
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(2026, 10, 1, 9, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" on save
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-10-01T09:00:00Z",
                                 content)
            target.writestr(entry, content)
    path.write_bytes(packed.getvalue())


def main(out: Path = OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    leaders = leadership(rng)
    header = list(leaders[0])
    write_csv(out / "leadership.csv", [header], [[r[h] for h in header] for r in leaders],
              quote_all=False)
    write_xlsx(out / "staff.xlsx", staff(rng))
    names, texts, import_ids, rows = customers(rng)
    write_csv(out / "customers_qualtrics.csv", [names, texts, import_ids], rows,
              quote_all=True)
    earlier_wave(out / "2025", panel_ids(names, rows, 180))


def panel_ids(names: list[str], rows: list[list[str]], count: int) -> list[str]:
    """ResponseIds of ``count`` finished, genuine 2026 responses (the returning panel)."""
    ids, status, finished = (names.index(c) for c in ("ResponseId", "Status", "Finished"))
    chosen = [r[ids] for r in rows if r[status] == "IP Address" and r[finished] == "True"]
    return list(dict.fromkeys(chosen))[:count]


def earlier_wave(out: Path, returning: list[str]) -> None:
    """The 2025 wave: the same exports a year earlier, wider gaps, returning respondents."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(EARLIER_SEED)
    leaders = leadership(rng, shift=EARLIER_SHIFT)
    header = list(leaders[0])
    write_csv(out / "leadership.csv", [header], [[r[h] for h in header] for r in leaders],
              quote_all=False)
    write_xlsx(out / "staff.xlsx", staff(rng, shift=EARLIER_SHIFT))
    names, texts, import_ids, rows = customers(rng, n=900, shift=EARLIER_SHIFT,
                                               first_day="2025-09-01", returning=returning)
    write_csv(out / "customers_qualtrics.csv", [names, texts, import_ids], rows,
              quote_all=True)


if __name__ == "__main__":
    import sys

    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)

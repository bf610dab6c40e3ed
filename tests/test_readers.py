"""Readers: plain text folders, JSON Lines, CSV/TSV and PubMed XML (real NLM files and broken or
hostile ones built here). Every input item must end as a Record or a ReadError, never dropped."""

from __future__ import annotations

import gzip
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from evidex import ReadError, Record, read
from evidex.readers import format_of


def split(items):
    items = list(items)
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, ReadError)]


# --------------------------------------------------------------------------- plain text


def test_text_folder_title_blank_line_abstract(tmp_path):
    folder = tmp_path / "abstracts"
    folder.mkdir()
    (folder / "PMID-31000001.txt").write_text(
        "Islet transplantation restores hypoglycaemia awareness in type 1 diabetes\n\n"
        "Twelve adults with type 1 diabetes received intraportal islet infusions. "
        "Ten of 12 recipients were insulin independent at 1 year.\n",
        encoding="utf-8",
    )
    # an abstract without a title line, CRLF line ends and a BOM
    (folder / "PMID-31000002.txt").write_bytes(
        "\ufeffEncapsulated stem cell-derived islets were implanted in 8 adults.\r\n"
        "C-peptide was detectable in 3 of 8 participants at week 26.\r\n".encode("utf-8")
    )
    (folder / "README.md").write_text("not an abstract", encoding="utf-8")  # unknown suffix in a folder: skipped

    records, errors = split(read(folder))

    assert errors == []
    assert [r.id for r in records] == ["PMID-31000001", "PMID-31000002"]  # sorted walk
    first, second = records
    assert first.title == "Islet transplantation restores hypoglycaemia awareness in type 1 diabetes"
    assert first.abstract.startswith("Twelve adults with type 1 diabetes")
    assert first.abstract.endswith("at 1 year.")
    assert first.text == first.title + "\n\n" + first.abstract
    assert first.text[first.abstract_offset:] == first.abstract
    assert first.meta["input_file"].endswith("PMID-31000001.txt")
    assert second.title == ""
    assert second.abstract == ("Encapsulated stem cell-derived islets were implanted in 8 adults.\n"
                               "C-peptide was detectable in 3 of 8 participants at week 26.")
    assert second.text == second.abstract and second.abstract_offset == 0


def test_text_undecodable_bytes_is_a_read_error(tmp_path):
    folder = tmp_path / "txt"
    folder.mkdir()
    (folder / "latin1.txt").write_bytes("Greffe d'îlots pancréatiques\n\nRésultats à 1 an.".encode("latin-1"))
    (folder / "ok.txt").write_text("Islet graft survival\n\nGraft survival was 85% at 5 years.", encoding="utf-8")

    records, errors = split(read(folder))

    assert [r.id for r in records] == ["ok"]
    assert len(errors) == 1
    assert errors[0].id == "latin1"
    assert "undecodable" in errors[0].reason
    assert errors[0].row() == {"doc_id": "latin1", "error": errors[0].reason}


def test_text_empty_file_is_reported(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text("   \n\n", encoding="utf-8")
    records, errors = split(read(path))
    assert records == [] and [e.id for e in errors] == ["blank"]


def test_missing_input_and_unknown_named_file_are_errors(tmp_path):
    doc = tmp_path / "abstract.docx"
    doc.write_bytes(b"PK\x03\x04")
    items = list(read([tmp_path / "nowhere.jsonl", doc]))
    assert all(isinstance(i, ReadError) for i in items)
    assert [i.reason for i in items][0] == "input not found"
    assert "unknown input format" in items[1].reason


def test_format_is_chosen_by_suffix_with_gz():
    assert format_of(Path("pubmed24n0001.xml.gz")) == "pubmed"
    assert format_of(Path("abstracts.JSONL.gz")) == "jsonl"
    assert format_of(Path("export.tsv")) == "tsv"
    assert format_of(Path("notes.md")) is None


def test_explicit_format_overrides_suffix_and_bad_name_raises(tmp_path):
    path = tmp_path / "export.txt"
    path.write_text(json.dumps({"id": "J1", "abstract": "HbA1c fell to 6.4%."}) + "\n", encoding="utf-8")
    records, errors = split(read(path, "jsonl"))
    assert [r.id for r in records] == ["J1"] and errors == []
    with pytest.raises(ValueError):
        list(read(path, "docx"))


# --------------------------------------------------------------------------- JSON Lines

JSONL_LINES = [
    json.dumps({"id": "J-1", "title": "Islet after kidney transplantation",
                "abstract": "Insulin independence was achieved in 9 of 14 recipients.",
                "journal": "Am J Transplant", "year": 2019, "mesh": ["Humans", "Islets of Langerhans Transplantation"]}),
    '{"id": "J-2", "title": "Broken line", "abstract": "unterminated',
    json.dumps({"id": "J-3", "title": "A title but no abstract"}),
    "",
    json.dumps({"pmid": 35012345, "text": "Stimulated C-peptide rose to 0.62 nmol/L at week 12."}),
    json.dumps(["not", "an", "object"]),
    json.dumps({"id": "J-7", "abstract": "   "}),
]


def _jsonl_bytes() -> bytes:
    return ("\n".join(JSONL_LINES) + "\n").encode("utf-8")


def _check_jsonl(items, name):
    records, errors = split(items)
    assert [r.id for r in records] == ["J-1", "35012345"]
    j1 = records[0]
    assert j1.title == "Islet after kidney transplantation"
    assert j1.meta["journal"] == "Am J Transplant"
    assert j1.meta["year"] == 2019
    assert j1.meta["mesh"] == ["Humans", "Islets of Langerhans Transplantation"]
    assert "abstract" not in j1.meta and "id" not in j1.meta
    assert records[1].abstract == "Stimulated C-peptide rose to 0.62 nmol/L at week 12."
    by_id = {e.id: e.reason for e in errors}
    assert set(by_id) == {f"{name}:2", "J-3", f"{name}:6", "J-7"}
    assert "invalid JSON on line 2" in by_id[f"{name}:2"]
    assert by_id["J-3"] == "missing abstract"
    assert by_id["J-7"] == "missing abstract"
    # every non-blank line is accounted for
    assert len(records) + len(errors) == sum(1 for line in JSONL_LINES if line.strip())


def test_jsonl_records_errors_and_meta(tmp_path):
    path = tmp_path / "abstracts.jsonl"
    path.write_bytes(_jsonl_bytes())
    _check_jsonl(read(path), "abstracts.jsonl")


def test_jsonl_gz(tmp_path):
    path = tmp_path / "abstracts.jsonl.gz"
    path.write_bytes(gzip.compress(_jsonl_bytes()))
    _check_jsonl(read(path), "abstracts.jsonl.gz")


def test_jsonl_undecodable_line_does_not_end_the_file(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"id": "L1", "abstract": "Greffe d\'\xeelots: HbA1c 6.1%."}\n'
                     b'{"id": "L2", "abstract": "Graft survival was 85% at 5 years."}\n')
    records, errors = split(read(path))
    assert [r.id for r in records] == ["L2"]
    assert [e.id for e in errors] == ["mixed.jsonl:1"] and "undecodable" in errors[0].reason


def test_jsonl_wrong_types_are_errors_not_crashes(tmp_path):
    path = tmp_path / "types.jsonl"
    path.write_text(json.dumps({"id": "T1", "abstract": ["Insulin independence", "at 1 year"]}) + "\n"
                    + json.dumps({"id": "T2", "title": 42, "abstract": "Graft loss in 2 of 9."}) + "\n", encoding="utf-8")
    records, errors = split(read(path))
    assert records == []
    assert [(e.id, e.reason) for e in errors] == [("T1", "field 'abstract' is not text"), ("T2", "field 'title' is not text")]


def test_jsonl_field_named_source_is_kept(tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps({"id": "S1", "abstract": "HbA1c fell from 8.1% to 6.9%.",
                                "source": "Cochrane CENTRAL"}) + "\n", encoding="utf-8")
    (record,) = read(path)
    assert "Cochrane CENTRAL" in record.meta.values()


# --------------------------------------------------------------------------- CSV / TSV


def test_csv_extra_columns_bad_bytes_and_quoting(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(
        b"ID,Title,Abstract,Journal,Year\n"
        b'C1,"Islets, revisited","Ten of 12 recipients, all adults, were insulin independent.\nHbA1c fell to 6.1%.",Diabetes Care,2019\n'
        b"C2,Greffe,R\xe9sultats \xe0 1 an,Diabetes Metab,2018\n"
        b"C3,No abstract here,,Lancet,2017\n"
        b"C4,Too many cells,Graft loss occurred.,Lancet,2016,surplus\n"
        b'C5,Encapsulation,"C-peptide was detectable in 3 of 8 participants (38%).",Cell Stem Cell,2023\n'
    )
    records, errors = split(read(path))

    assert [r.id for r in records] == ["C1", "C5"]
    c1 = records[0]
    assert c1.title == "Islets, revisited"
    assert c1.abstract == "Ten of 12 recipients, all adults, were insulin independent.\nHbA1c fell to 6.1%."
    assert c1.meta["journal"] == "Diabetes Care" and c1.meta["year"] == "2019"  # header lower-cased, extras kept
    reasons = {e.id: e.reason for e in errors}
    assert set(reasons) == {"C2", "C3", "C4"}
    assert "undecodable" in reasons["C2"]  # the bad row, and only it
    assert reasons["C3"] == "missing abstract"
    assert "more cells" in reasons["C4"]


def test_csv_without_abstract_column(tmp_path):
    path = tmp_path / "no_abstract.csv"
    path.write_text("id,title,summary\nN1,Islet transplantation,Graft survival was 85%.\n", encoding="utf-8")
    records, errors = split(read(path))
    assert records == []
    assert len(errors) == 1 and "no 'abstract'" in errors[0].reason


def test_tsv_text_column_and_gz(tmp_path):
    body = ("pmid\ttitle\ttext\tcountry\n"
            "36000001\tMSC infusion in new-onset type 1 diabetes\tMSC infusion preserved C-peptide, "
            "with HbA1c 7.0% vs 7.2% (P = 0.48).\tSweden\n")
    path = tmp_path / "export.tsv.gz"
    path.write_bytes(gzip.compress(body.encode("utf-8")))
    records, errors = split(read(path))
    assert errors == []
    (rec,) = records
    assert rec.id == "36000001"
    assert rec.abstract == "MSC infusion preserved C-peptide, with HbA1c 7.0% vs 7.2% (P = 0.48)."
    assert rec.meta["country"] == "Sweden"


# --------------------------------------------------------------------------- PubMed XML, real files


def _norm(el) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


@pytest.fixture(scope="module")
def sample18(pubmed_file):
    path = pubmed_file("pubmedsample18n0001.xml.gz")
    with gzip.open(path, "rb") as fh:
        root = ET.parse(fh).getroot()
    return path, root, list(read(path))


def test_pubmed_sample_every_article_is_a_record_or_an_error(sample18):
    path, root, items = sample18
    records, errors = split(items)
    articles = root.findall("PubmedArticle")
    assert len(articles) == 177
    assert len(items) == len(articles) == len(records) + len(errors)
    assert len(records) == 109
    pmids = [a.findtext("MedlineCitation/PMID").strip() for a in articles]
    assert [i.id for i in items] == pmids  # in file order, each once
    with_abstract = {a.findtext("MedlineCitation/PMID").strip() for a in articles
                     if any(_norm(t) for t in a.findall("MedlineCitation/Article/Abstract/AbstractText"))}
    assert {r.id for r in records} == with_abstract
    assert all(e.reason == "no abstract" for e in errors)


def test_pubmed_sample_titles_pubtypes_mesh_match_the_xml(sample18):
    path, root, items = sample18
    by_pmid = {a.findtext("MedlineCitation/PMID").strip(): a for a in root.findall("PubmedArticle")}
    records, _ = split(items)
    for rec in records:
        art = by_pmid[rec.id]
        assert rec.title == _norm(art.find("MedlineCitation/Article/ArticleTitle"))
        assert rec.meta["pmid"] == rec.id
        assert rec.meta["publication_types"] == [_norm(p) for p in art.findall(".//PublicationTypeList/PublicationType")]
        assert [m["descriptor"] for m in rec.meta["mesh_terms"]] == [
            _norm(d) for d in art.findall("MedlineCitation/MeshHeadingList/MeshHeading/DescriptorName")]
        assert rec.meta["year"] and rec.meta["year"].isdigit() and 1900 < int(rec.meta["year"]) < 2030
        assert rec.meta["journal"]
    assert sum(len(r.meta["mesh_terms"]) for r in records) > 0


def test_pubmed_sample_known_article_metadata(sample18):
    _, _, items = sample18
    rec = next(i for i in items if i.id == "8219565")
    assert isinstance(rec, Record)
    assert rec.title == "Transcatheter manipulation of asymmetrically opened titanium Greenfield filters."
    assert rec.meta["year"] == "1993"
    assert rec.meta["journal"] == "Journal of vascular and interventional radiology : JVIR"
    assert rec.meta["publication_types"] == ["Journal Article"]
    humans = next(m for m in rec.meta["mesh_terms"] if m["descriptor"] == "Humans")
    assert humans["ui"] == "D006801" and humans["major"] is False
    assert [s["label"] for s in rec.meta["sections"]] == ["PURPOSE", "PATIENTS AND METHODS", "RESULTS", "CONCLUSION"]
    assert [s["nlm_category"] for s in rec.meta["sections"]] == ["OBJECTIVE", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert rec.abstract[rec.meta["sections"][1]["start"]:].startswith("Titanium Greenfield filters were placed in 166 patients")


def test_pubmed_sample_structured_sections_slice_the_abstract(sample18):
    _, root, items = sample18
    by_pmid = {a.findtext("MedlineCitation/PMID").strip(): a for a in root.findall("PubmedArticle")}
    records, _ = split(items)
    structured = [r for r in records if r.meta["sections"]]
    assert len(structured) == 18
    assert sum(len(r.meta["sections"]) for r in structured) == 88
    for rec in structured:
        labelled = [t for t in by_pmid[rec.id].findall("MedlineCitation/Article/Abstract/AbstractText") if t.get("Label")]
        assert [s["label"] for s in rec.meta["sections"]] == [t.get("Label") for t in labelled]
        assert [s["nlm_category"] for s in rec.meta["sections"]] == [t.get("NlmCategory") for t in labelled]
        previous_end = -1
        for section, el in zip(rec.meta["sections"], labelled):
            assert rec.abstract[section["start"]:section["end"]] == _norm(el)
            assert section["start"] > previous_end  # in order, never overlapping
            previous_end = section["end"]
        # the same slice in the document text, shifted by the title
        first = rec.meta["sections"][0]
        assert rec.text[rec.abstract_offset + first["start"]:rec.abstract_offset + first["end"]] == _norm(labelled[0])


def test_medline_citation_set_2016(pubmed_file):
    path = pubmed_file("medline16n0902.xml.gz")
    items = list(read(path))
    records, errors = split(items)
    assert len(items) == 604 == len(records) + len(errors)
    assert len(records) == 526
    assert len({i.id for i in items}) == 604 and all(i.id.isdigit() for i in items)
    assert all(e.reason == "no abstract" for e in errors)
    assert sum(len(r.meta["sections"]) for r in records) == 1085
    for rec in records:
        assert rec.title and rec.meta["journal"] and rec.meta["year"]
        for s in rec.meta["sections"]:
            assert 0 <= s["start"] < s["end"] <= len(rec.abstract)
            assert rec.abstract[s["start"]:s["end"]].strip() == rec.abstract[s["start"]:s["end"]]


def test_pubmed_plain_and_gzip_read_the_same(pubmed_file, tmp_path):
    plain = pubmed_file("pubmed-29768149.xml")
    packed = tmp_path / "pubmed-29768149.xml.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    (a,), (b,) = list(read(plain)), list(read(packed))
    assert isinstance(a, Record) and a.id == "29768149"
    assert (a.id, a.title, a.abstract) == (b.id, b.title, b.abstract)
    assert {k: v for k, v in a.meta.items() if k != "input_file"} == {k: v for k, v in b.meta.items() if k != "input_file"}
    assert a.meta["sections"] and a.meta["mesh_terms"]


# --------------------------------------------------------------------------- PubMed XML, built here

HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n'
          '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2019//EN" '
          '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_190101.dtd">\n<PubmedArticleSet>\n')

ABSTRACTS = [
    "Ten of 12 recipients of stem cell-derived islets were insulin independent at 1 year.",
    "HbA1c decreased from 7.8 &#177; 0.9% to 6.1 &#177; 0.4% (P &lt; 0.001).",
    "Graft survival was 85% at 5 years after islet-after-kidney transplantation.",
    "Stimulated C-peptide was detectable in 2 of 17 participants at week 26.",
    "Severe hypoglycaemia fell by 95% compared with the year before transplantation.",
]


def article(pmid: int, title: str, abstract: str, broken: bool = False) -> str:
    closing = "</ArticleTitel>" if broken else "</ArticleTitle>"  # a mismatched end tag: not well-formed
    return (f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>\n'
            f'<Article PubModel="Print"><Journal><JournalIssue><PubDate><Year>2022</Year></PubDate></JournalIssue>'
            f'<Title>Diabetes care</Title></Journal>\n<ArticleTitle>{title}{closing}\n'
            f'<Abstract><AbstractText Label="RESULTS" NlmCategory="RESULTS">{abstract}</AbstractText></Abstract>\n'
            f'<PublicationTypeList><PublicationType UI="D016428">Journal Article</PublicationType></PublicationTypeList>'
            f'</Article></MedlineCitation>\n<PubmedData><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId>'
            f'</ArticleIdList></PubmedData></PubmedArticle>\n')


def test_malformed_article_in_gzip_file_costs_only_itself(tmp_path):
    pmids = [36100001 + i for i in range(len(ABSTRACTS))]
    body = "".join(article(p, f"Islet study {i}", a, broken=(i == 2)) for i, (p, a) in enumerate(zip(pmids, ABSTRACTS)))
    path = tmp_path / "pubmed22n0999.xml.gz"
    path.write_bytes(gzip.compress((HEADER + body + "</PubmedArticleSet>\n").encode("utf-8")))

    items = list(read(path))

    assert [i.id for i in items] == [str(p) for p in pmids]  # every article once, in order
    assert [type(i) for i in items] == [Record, Record, ReadError, Record, Record]
    broken = items[2]
    assert broken.id == "36100003" and "malformed XML" in broken.reason
    after = items[3]
    assert after.title == "Islet study 3"
    assert after.abstract == "Stimulated C-peptide was detectable in 2 of 17 participants at week 26."
    assert items[1].abstract == "HbA1c decreased from 7.8 ± 0.9% to 6.1 ± 0.4% (P < 0.001)."
    assert after.meta["sections"] == [{"label": "RESULTS", "nlm_category": "RESULTS", "start": 0, "end": len(after.abstract)}]


def test_malformed_article_past_the_first_megabyte(tmp_path):
    # large enough that the resynchronising reader works across several read blocks
    filler = " ".join(["Islet graft function was assessed by mixed-meal tolerance tests."] * 30)
    n, bad = 700, 613
    body = "".join(article(37000000 + i, f"Study {i}", f"{ABSTRACTS[i % 5]} {filler}", broken=(i == bad)) for i in range(n))
    path = tmp_path / "pubmed22n1000.xml.gz"
    raw = (HEADER + body + "</PubmedArticleSet>\n").encode("utf-8")
    assert len(raw) > 1 << 20
    path.write_bytes(gzip.compress(raw))

    items = list(read(path))
    records, errors = split(items)

    assert len(items) == n
    assert [i.id for i in items] == [str(37000000 + i) for i in range(n)]
    assert [e.id for e in errors] == [str(37000000 + bad)]
    assert records[-1].title == f"Study {n - 1}"


def test_inline_markup_and_wrapped_lines_are_flattened(tmp_path):
    xml = (HEADER + '<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">36200001</PMID>'
           '<Article PubModel="Print"><Journal><Title>Diabetologia</Title><JournalIssue><PubDate>'
           '<MedlineDate>2021 Nov-Dec</MedlineDate></PubDate></JournalIssue></Journal>'
           '<ArticleTitle>Islet transplantation in <i>type 1</i>\n    diabetes</ArticleTitle><Abstract>'
           '<AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND">Severe   hypoglycaemia persists.</AbstractText>'
           '<AbstractText Label="RESULTS" NlmCategory="RESULTS">HbA1c fell to 6.1<sup>%</sup>\n      in '
           '<i>all</i> 12 recipients (P&lt;0.001).</AbstractText>'
           '<AbstractText/>'
           '<AbstractText Label="CONCLUSIONS" NlmCategory="CONCLUSIONS">Islets work.</AbstractText>'
           '</Abstract></Article></MedlineCitation></PubmedArticle>\n</PubmedArticleSet>\n')
    path = tmp_path / "inline.xml"
    path.write_text(xml, encoding="utf-8")
    (rec,) = read(path)
    assert rec.title == "Islet transplantation in type 1 diabetes"
    assert rec.abstract == ("Severe hypoglycaemia persists.\nHbA1c fell to 6.1% in all 12 recipients (P<0.001).\n"
                            "Islets work.")
    assert [rec.abstract[s["start"]:s["end"]] for s in rec.meta["sections"]] == [
        "Severe hypoglycaemia persists.", "HbA1c fell to 6.1% in all 12 recipients (P<0.001).", "Islets work."]
    assert rec.meta["year"] == "2021"  # from MedlineDate
    assert rec.meta["journal"] == "Diabetologia"


BOMB_ENTITIES = '<!ENTITY lol "lol">\n' + "".join(
    f'<!ENTITY lol{i} "{("&lol%s;" % ("" if i == 1 else i - 1)) * 10}">\n' for i in range(1, 10))
BOMB_BODY = ('<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>38000001</PMID><Article>'
             '<ArticleTitle>&lol9;</ArticleTitle><Abstract><AbstractText>Islets &lol9;</AbstractText></Abstract>'
             '</Article></MedlineCitation></PubmedArticle></PubmedArticleSet>\n')


@pytest.mark.parametrize("gz", [False, True], ids=["xml", "xml.gz"])
def test_entity_bomb_is_refused(tmp_path, gz):
    doc = f'<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet [\n{BOMB_ENTITIES}]>\n{BOMB_BODY}'.encode()
    path = tmp_path / ("bomb.xml.gz" if gz else "bomb.xml")
    path.write_bytes(gzip.compress(doc) if gz else doc)

    items = list(read(path))

    assert len(items) == 1
    (err,) = items
    assert isinstance(err, ReadError)
    assert err.id == str(path)
    assert "entit" in err.reason and "refused" in err.reason
    assert "lollol" not in err.reason


def test_entity_bomb_after_a_long_comment_is_still_refused(tmp_path):
    # the DOCTYPE starts beyond the first 64 KiB, so the prolog check alone cannot see it
    doc = (f'<?xml version="1.0"?>\n<!-- {"x" * 70000} -->\n<!DOCTYPE PubmedArticleSet [\n{BOMB_ENTITIES}]>\n'
           f'{BOMB_BODY}').encode()
    path = tmp_path / "padded_bomb.xml.gz"
    path.write_bytes(gzip.compress(doc))
    items = list(read(path))
    assert items and all(isinstance(i, ReadError) for i in items)
    assert not any("lollol" in i.reason for i in items)


def test_external_entity_is_refused_and_nothing_leaks(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN", encoding="utf-8")
    doc = (f'<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
           '<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>38000002</PMID><Article>'
           '<ArticleTitle>Islets</ArticleTitle><Abstract><AbstractText>Leak: &xxe;</AbstractText></Abstract>'
           '</Article></MedlineCitation></PubmedArticle></PubmedArticleSet>\n')
    path = tmp_path / "xxe.xml"
    path.write_text(doc, encoding="utf-8")
    items = list(read(path))
    assert items and all(isinstance(i, ReadError) for i in items)
    assert not any("TOP-SECRET" in repr(i) for i in items)

"""The `evidex` command line: extract (and, as they land, train and evaluate)."""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Structured evidence from biomedical abstracts.")
console = Console(stderr=True)


class OutFormat(str, Enum):
    csv = "csv"
    tsv = "tsv"
    jsonl = "jsonl"
    parquet = "parquet"
    bioc_json = "bioc-json"
    bioc_xml = "bioc-xml"
    pubtator = "pubtator"


class InFormat(str, Enum):
    auto = "auto"
    text = "text"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"
    pubmed = "pubmed"


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


class Engine(str, Enum):
    local = "local"
    ray = "ray"


def sidecar(out: Path, kind: str, suffix: str) -> Path:
    """`evidence.csv` -> `evidence.errors.csv` / `evidence.summary.json`."""
    return out.with_name(f"{out.stem}.{kind}{suffix}")


@app.callback()
def main() -> None:
    """evidex turns abstracts into an evidence table."""


@app.command()
def extract(
    inputs: List[Path] = typer.Argument(..., help="Files or folders: .txt, .jsonl, .csv, .tsv, PubMed .xml (each may be .gz)."),
    output: Path = typer.Option(..., "-o", "--output", help="The evidence table to write; a path without a suffix is a folder of Parquet shards (resumable)."),
    fmt: Optional[OutFormat] = typer.Option(None, "--format", "-f", help="Output format (default: from the suffix, else csv)."),
    input_format: InFormat = typer.Option(InFormat.auto, "--input-format", help="Input format (default: from each file's suffix)."),
    device: Device = typer.Option(Device.auto, "--device", help="Where the transformer models run."),
    batch_size: int = typer.Option(64, "--batch-size", min=1, help="Documents per pipeline batch."),
    config: Optional[Path] = typer.Option(None, "--config", help="Pipeline config (.cfg); default: the packaged one."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
    workers: Optional[int] = typer.Option(None, "--workers", min=0, help="Worker processes, each running the pipeline; with CUDA the models stay in this process and serve the workers' forward passes (0: none; default: one per spare core with CUDA, else 0)."),
    engine: Engine = typer.Option(Engine.local, "--engine", help="local: this machine; ray: a Ray cluster (pip install 'evidex[ray]'), folder output only."),
    shard_size: int = typer.Option(10_000, "--shard-size", min=1, help="Folder output: input records per shard."),
    resume: bool = typer.Option(True, "--resume/--overwrite", help="Folder output: continue the job already in OUT (default), or start it afresh."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="--engine ray: the cluster to join (default: start one on this machine)."),
) -> None:
    """Extract evidence rows from abstracts into a table (plus a .errors table and a .summary.json),
    or into a folder of Parquet shards with a manifest (resumable)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from . import load, read
    from .engine import Summary, run
    from .interchange import ExtractOutput, extract_formats
    from .schema import COLUMNS, ERROR_COLUMNS
    from .writers import TableWriter

    missing = [str(p) for p in inputs if not p.exists()]
    if missing:
        console.print(f"[red]error:[/] input not found: {', '.join(missing)}")
        raise typer.Exit(2)
    if config is not None and not config.is_file():
        console.print(f"[red]error:[/] config not found: {config}")
        raise typer.Exit(2)
    from .engine.folder import is_folder_output
    from .engine.workers import default_workers

    workers = default_workers(device.value) if workers is None else workers
    if is_folder_output(output, fmt.value if fmt else None) or engine == Engine.ray:
        _extract_folder(inputs, output, fmt, input_format, device, batch_size, config, quiet, workers, engine,
                        shard_size, resume, ray_address)
        return
    doc_format, out_format = extract_formats(output, fmt.value if fmt else None)  # doc_format: BioC/PubTator
    try:
        if output.is_dir():
            raise IsADirectoryError(f"{output} is a folder; give a file name")
        output.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(output.parent, os.W_OK):
            raise PermissionError(f"cannot write to {output.parent}")
    except OSError as exc:
        console.print(f"[red]error:[/] output location unusable: {exc}")
        raise typer.Exit(2)
    if device == Device.cuda:
        import torch
        if not torch.cuda.is_available():
            console.print("[red]error:[/] --device cuda, but torch sees no CUDA device")
            raise typer.Exit(2)
    overrides = {"components.tagger.device": device.value}
    nlp = load(config, overrides=overrides)
    summary = Summary()
    suffix = f".{out_format}" if doc_format else (output.suffix or f".{out_format}")
    errors_path = sidecar(output, "errors", suffix)
    show = not quiet and sys.stderr.isatty()
    main = ExtractOutput(output, doc_format, _version(nlp)) if doc_format else TableWriter(output, COLUMNS, out_format)
    with main as table, TableWriter(errors_path, ERROR_COLUMNS, out_format) as errors, \
            Progress(TextColumn("[bold]extract"), BarColumn(), MofNCompleteColumn(), TextColumn("docs"),
                     TextColumn("{task.fields[rows]} rows, {task.fields[errors]} errors"), TimeElapsedColumn(),
                     console=console, disable=not show, transient=True) as progress:
        task = progress.add_task("extract", total=None, rows=0, errors=0)
        items = read(inputs, input_format.value)
        for event in run(nlp, items, batch_size=batch_size, summary=summary, on_doc=getattr(table, "on_doc", None),
                         workers=workers):
            if event[0] == "row":
                table.write(event[1])
            else:
                if event[0] == "error":
                    errors.write(event[1])
                progress.update(task, advance=1, rows=summary.rows, errors=summary.errors)
    report = {**summary.as_dict(), "docs_per_second": round(summary.read / summary.seconds, 2) if summary.seconds else None,
              "inputs": [str(p) for p in inputs], "output": str(output), "errors_file": str(errors_path),
              "format": doc_format or out_format, "no_finding_ids": summary.no_finding_ids, "model_version": _version(nlp)}
    sidecar(output, "summary", ".json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if not quiet:
        console.print(
            f"read {summary.read} docs: {summary.with_findings} with findings, {summary.no_finding} without, "
            f"{summary.errors} errors; {summary.rows} rows in {summary.seconds:.1f} s -> {output}"
            + (f" (errors: {errors_path})" if summary.errors else "")
        )


def _extract_folder(inputs, output: Path, fmt, input_format, device, batch_size: int, config, quiet: bool,
                    workers: int, engine, shard_size: int, resume: bool, ray_address) -> None:
    """`extract` into a folder of Parquet shards (see evidex.engine.folder)."""
    from rich.progress import Progress, TextColumn, TimeElapsedColumn

    from .engine.folder import FolderError, extract_to_folder, is_folder_output

    if not is_folder_output(output, fmt.value if fmt else None):
        console.print(f"[red]error:[/] a folder output is Parquet shards: give -o a path without a suffix "
                      f"(and --format parquet or none), not {output}")
        raise typer.Exit(2)
    if device == Device.cuda:
        import torch
        if engine == Engine.local and not torch.cuda.is_available():
            console.print("[red]error:[/] --device cuda, but torch sees no CUDA device")
            raise typer.Exit(2)
    overrides = {"components.tagger.device": device.value}
    nlp = text = None
    if engine == Engine.ray:
        from thinc.api import Config

        from .pipeline import default_config_path
        text = Config().from_disk(config or default_config_path(), overrides=overrides).to_str()
    else:
        from . import load
        nlp = load(config, overrides=overrides)
    show = not quiet and sys.stderr.isatty()
    with Progress(TextColumn("[bold]extract"), TextColumn("{task.completed} docs"),
                  TextColumn("{task.fields[rows]} rows, {task.fields[errors]} errors"), TimeElapsedColumn(),
                  console=console, disable=not show, transient=True) as progress:
        task = progress.add_task("extract", total=None, rows=0, errors=0)
        try:
            report = extract_to_folder(
                inputs, output, nlp=nlp, config=text, input_format=input_format.value, engine=engine.value,
                workers=workers, batch_size=batch_size, shard_size=shard_size, overwrite=not resume,
                on_progress=lambda s: progress.update(task, completed=s.read, rows=s.rows, errors=s.errors),
                ray_options={"address": ray_address})
        except (FolderError, RuntimeError) as exc:
            console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2)
    if not quiet:
        t, run = report["total"], report["this_run"]
        console.print(f"this run: {run['read']} docs in {run['seconds']:.1f} s; folder total: {t['records']} docs, "
                      f"{t['with_findings']} with findings, {t['no_finding']} without, {t['errors']} errors, "
                      f"{t['rows']} rows in {report['shards']} shards -> {output}")


train_app = typer.Typer(no_args_is_help=True, help="Train evidex models from config files.")
evaluate_app = typer.Typer(no_args_is_help=True, help="Score evidex models on public and in-domain corpora.")
app.add_typer(train_app, name="train")
app.add_typer(evaluate_app, name="evaluate")


@train_app.command("ner")
def train_ner(
    config: Path = typer.Option(..., "--config", "-c", exists=True, dir_okay=False, help="Training config (.cfg), e.g. configs/ner.cfg."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Model folder to write (default: the config's paths.output)."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Public corpora (default: $EVIDEX_DATA or ../shared/corpora)."),
) -> None:
    """Fine-tune the entity tagger."""
    from .training.train_ner import train

    _train(train, config, output, data_dir)


def _train(train, config: Path, output: Optional[Path], data_dir: Optional[Path]) -> None:
    """Run a training function, turning missing corpora into a clear error, and say what was saved."""
    from .training.corpora import CorpusNotFound

    try:
        result = train(config, output, data_dir, log=lambda m: console.print(m))
    except CorpusNotFound as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2)
    best = result["best"]
    console.print(f"saved {result['output']}" + (f" (best dev macro F1 {best['score']:.4f} at step {best['step']})" if best else ""))


def _scored(score, as_json: bool) -> Optional[dict]:
    """Run an evaluation: missing data or bad options become a clear error (exit 2); with --json
    the result is printed and None returned, else the result is returned for the caller's summary."""
    try:
        result = score()
    except (FileNotFoundError, ValueError) as exc:  # CorpusNotFound is a FileNotFoundError
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2)
    if as_json:
        typer.echo(json.dumps(result))
        return None
    return result


@evaluate_app.command("ner")
def evaluate_ner(
    corpus: str = typer.Option(..., "--corpus", help="ebmnlp, jnlpba or t1d_cell_therapy."),
    split: str = typer.Option("test", "--split"),
    model: str = typer.Option("tagger", "--model", help="Model folder, or a name under models/."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir"),
    limit: int = typer.Option(0, "--limit", help="Score only the first N documents (0: all)."),
    source: Optional[str] = typer.Option(None, "--source", help="t1d_cell_therapy: spans from the pipeline's doc.ents "
                                         "(default), the tagger alone, or the vocabulary alone."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Score the entity tagger."""
    from .evaluation import in_domain
    from .evaluation.ner import evaluate

    def score() -> dict:
        if corpus == in_domain.CORPUS:
            return in_domain.evaluate_ner(split, model, source or "pipeline", limit)
        if source not in (None, "tagger"):
            raise ValueError(f"--source {source} applies to {in_domain.CORPUS} only; {corpus} scores the tagger")
        return evaluate(corpus, split, model, data_dir, limit)

    result = _scored(score, as_json)
    if result is None:
        return
    if corpus == in_domain.CORPUS:
        typer.echo("\n".join(in_domain.summary_lines(result)))
        return
    m = result["metrics"]
    console.print(f"{corpus} {split}: macro F1 {m['macro_f1']:.4f} ({m['documents']} documents)")
    for label, s in m["per_label"].items():
        console.print(f"  {label:10s} P {s['precision']:.4f}  R {s['recall']:.4f}  F1 {s['f1']:.4f}")


@train_app.command("relations")
def train_relations(
    config: Path = typer.Option(..., "--config", "-c", exists=True, dir_okay=False, help="Training config, e.g. configs/relations.cfg."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Model folder to write (default: the config's paths.output)."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Public corpora (default: $EVIDEX_DATA or ../shared/corpora)."),
) -> None:
    """Fine-tune the relation classifier."""
    from .training.train_relations import train

    _train(train, config, output, data_dir)


@evaluate_app.command("relations")
def evaluate_relations(
    corpus: str = typer.Option("evidence_inference", "--corpus", help="evidence_inference or t1d_cell_therapy."),
    split: str = typer.Option("test", "--split"),
    model: str = typer.Option("relations", "--model", help="Model folder, or a name under models/."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir"),
    limit: int = typer.Option(0, "--limit", help="Score only the first N prompts (0: all)."),
    config: Optional[Path] = typer.Option(None, "--config", help="t1d_cell_therapy: the pipeline config to score "
                                          "(default: the packaged one)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Score the relation classifier (abstract only, and with the gold evidence sentence), or the
    whole pipeline's relations on the in-domain corpus."""
    from .evaluation import in_domain
    from .evaluation.relations import evaluate

    if corpus == in_domain.CORPUS:
        _evaluate_in_domain_relations(split, model, limit, config, as_json)
        return
    if corpus != "evidence_inference":
        console.print(f"[red]error:[/] unknown corpus {corpus!r}; choose evidence_inference or {in_domain.CORPUS}")
        raise typer.Exit(2)
    result = _scored(lambda: evaluate(split, model, data_dir, limit), as_json)
    if result is None:
        return
    m = result["metrics"]
    console.print(f"evidence_inference {split}: macro F1 {m['macro_f1']:.4f}, accuracy {m['accuracy']:.4f}, "
                  f"oracle macro F1 {m['oracle_macro_f1']:.4f} ({m['prompts']} prompts)")


def _evaluate_in_domain_relations(split: str, model: str, limit: int, config: Optional[Path], as_json: bool) -> None:
    """The pipeline (rules or whatever its config runs) scored on the corpus's relations."""
    from .evaluation import in_domain

    def score() -> dict:
        if model != "relations":
            raise ValueError(f"--model names the Evidence Inference classifier; {in_domain.CORPUS} scores the "
                             "whole pipeline (choose its config with --config)")
        if config is not None and not config.is_file():
            raise FileNotFoundError(f"config not found: {config}")
        return in_domain.evaluate_relations(split, limit, config=str(config) if config else None)

    result = _scored(score, as_json)
    if result is not None:
        typer.echo("\n".join(in_domain.summary_lines(result)))


@app.command()
def report(
    tables: List[Path] = typer.Argument(..., help="Evidence tables (.csv, .tsv, .jsonl, .parquet) or folders of shards."),
    output: Path = typer.Option(..., "-o", "--output", help="The HTML report to write."),
    records: List[Path] = typer.Option([], "--records", help="The abstracts the tables came from, for publication years (repeatable)."),
    title: str = typer.Option("Evidence report", "--title", help="The page's title."),
    detail_limit: int = typer.Option(250_000, "--detail-limit", min=1, help="List at most this many findings with their sentences (the most confident); all are counted."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary line."),
) -> None:
    """Build a self-contained HTML evidence report: evidence map, finding lists, plots, provenance."""
    from .report import build_report

    try:
        info = build_report(tables, output, records=records, title=title, detail_limit=detail_limit)
    except (ValueError, OSError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2)
    if not quiet:
        listed = "" if info["detail_rows"] == info["rows"] else f", {info['detail_rows']:,} listed with sentences"
        console.print(f"{info['rows']:,} findings from {info['documents']:,} documents{listed} -> {info['path']} "
                      f"({info['bytes'] / 1e6:.2f} MB, {info['seconds']:.1f} s)")


class DocFormat(str, Enum):
    bioc_json = "bioc-json"
    bioc_xml = "bioc-xml"
    pubtator = "pubtator"


@app.command()
def show(
    source: Path = typer.Argument(..., help="Records to run the pipeline on (.txt, .jsonl, .csv, .tsv, PubMed .xml), or a BioC/PubTator file to view as annotated."),
    doc_id: str = typer.Option(..., "--id", help="The document's id."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="HTML file to write (default: standard output)."),
    config: Optional[Path] = typer.Option(None, "--config", help="Pipeline config (.cfg); default: the packaged one."),
) -> None:
    """Render one document with displaCy: its entity spans, and its relations listed under the text."""
    from . import display, interchange

    if not source.exists():
        console.print(f"[red]error:[/] input not found: {source}")
        raise typer.Exit(2)
    try:
        doc = _find_annotated(source, doc_id) if interchange.format_of(source) else _find_processed(source, doc_id, config)
    except (ValueError, LookupError) as exc:
        console.print(f"[red]error:[/] {exc.args[0] if exc.args else exc}")
        raise typer.Exit(2)
    html = display.page(doc)
    if output is None:
        typer.echo(html)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(html, encoding="utf-8")
        console.print(f"{doc_id} -> {output}")


def _find_annotated(source: Path, doc_id: str):
    from . import interchange

    for doc in interchange.read(source):
        if doc.id == doc_id:
            return doc
    raise LookupError(f"no document with id {doc_id!r} in {source}")


def _find_processed(source: Path, doc_id: str, config: Optional[Path]):
    from . import load, read
    from .pipeline import make_doc
    from .records import ReadError

    for item in read(source):
        if item.id == doc_id:
            if isinstance(item, ReadError):
                raise LookupError(f"record {doc_id!r} could not be read: {item.reason}")
            nlp = load(config)
            return nlp(make_doc(nlp, item))
    raise LookupError(f"no record with id {doc_id!r} in {source}")


@app.command("import")
def import_annotations(
    inputs: List[Path] = typer.Argument(..., help="BioC JSON, BioC XML or PubTator files."),
    output: Path = typer.Option(..., "-o", "--output", help="Training JSONL to write (see README, Fine-tuning the tagger)."),
    input_format: Optional[DocFormat] = typer.Option(None, "--input-format", help="Default: from each file's name or content."),
    label: List[str] = typer.Option([], "--label", help="TYPE=LABEL: train the input's TYPE as the tagger type LABEL (repeatable)."),
    drop: List[str] = typer.Option([], "--drop", help="Leave the input's TYPE out (repeatable)."),
    types: Optional[str] = typer.Option(None, "--types", help="Comma-separated tagger types the corpus annotates (default: those it has)."),
) -> None:
    """Turn BioC/PubTator annotations into training data for `evidex train ner`."""
    from itertools import chain

    from . import interchange
    from .interchange.training import training_examples, write_jsonl

    mapping = {}
    for item in label:
        source_type, sep, target = item.partition("=")
        if not sep or not source_type or not target:
            console.print(f"[red]error:[/] --label {item!r}: write TYPE=LABEL, e.g. --label Disease=POPULATION")
            raise typer.Exit(2)
        mapping[source_type] = target
    missing = [str(p) for p in inputs if not p.is_file()]
    if missing:
        console.print(f"[red]error:[/] input not found: {', '.join(missing)}")
        raise typer.Exit(2)
    fmt = input_format.value if input_format else None
    try:
        docs = chain.from_iterable(interchange.read(p, fmt) for p in inputs)
        examples, result = training_examples(docs, mapping, drop, [t.strip() for t in types.split(",")] if types else None)
    except ValueError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2)
    write_jsonl(output, examples)
    kept = ", ".join(f"{k} {v}" for k, v in result.entities.most_common()) or "none"
    left = ", ".join(f"{k} {v}" for k, v in result.left_out.most_common())
    console.print(f"{result.documents} documents -> {output}; entities: {kept}"
                  + (f"; left out: {left}" if left else "") + f"; types: {', '.join(result.types) or 'none'}")


@evaluate_app.command("linking")
def evaluate_linking(
    corpus: str = typer.Option("t1d_cell_therapy", "--corpus", help="t1d_cell_therapy (gold concept ids on its entities)."),
    split: str = typer.Option("test", "--split", help="train, dev or test."),
    threshold: Optional[float] = typer.Option(None, "--threshold", help="Candidate threshold (default: the pipeline config's)."),
    sweep: bool = typer.Option(False, "--sweep", help="Also score thresholds 0.30, 0.35, ..., 0.95 (to choose one on dev)."),
    errors: int = typer.Option(0, "--errors", help="List up to N wrong links."),
    config: Optional[Path] = typer.Option(None, "--config", help="Pipeline config (.cfg) whose linker to score."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Score the linker: gold spans given, it predicts a KB id or NIL for each."""
    from .evaluation.linking import evaluate

    grid = [round(0.30 + 0.05 * i, 2) for i in range(14)] if sweep else []
    result = _scored(lambda: evaluate(corpus, split, threshold, grid, str(config) if config else None, errors=errors),
                     as_json)
    if result is None:
        return
    m = result["metrics"]
    nil = m["nil"]
    typer.echo(f"{corpus} {split}: accuracy {m['accuracy']:.4f} on {m['mentions']} mentions (threshold {m['threshold']}); "
               f"exact matching alone {m['exact_only_accuracy']:.4f}")
    for label, s in m["per_label"].items():
        typer.echo(f"  {label:12s} accuracy {s['accuracy']:.4f}  ({s['mentions']} mentions)")
    typer.echo(f"  in-KB accuracy {m['in_kb_accuracy']:.4f}; linked precision {m['linked_precision']:.4f}; "
               f"NIL P {nil['precision']:.4f} R {nil['recall']:.4f} F1 {nil['f1']:.4f} ({nil['gold']} gold NIL)")
    for row in result.get("sweep", []):
        typer.echo(f"  threshold {row['threshold']:.2f}: accuracy {row['accuracy']:.4f}")
    for e in result.get("errors", []):
        typer.echo(f"  {e['doc_id']} {e['entity']} {e['label']} {e['text']!r}: gold {e['gold']}, got {e['predicted']} "
                   f"({e['how']}, {e['score']})")


corpus_app = typer.Typer(no_args_is_help=True, help="Annotated corpora: validate and convert.")
app.add_typer(corpus_app, name="corpus")


class CorpusFormat(str, Enum):
    jsonl = "jsonl"
    docbin = "docbin"
    brat = "brat"


@corpus_app.command("convert")
def corpus_convert(
    source: Path = typer.Argument(..., exists=True, help="Corpus JSONL, spaCy DocBin (.spacy) or brat folder."),
    to: CorpusFormat = typer.Option(..., "--to", help="Format to write."),
    output: Path = typer.Option(..., "-o", "--output", help="File (.jsonl, .spacy) or folder (brat) to write."),
    source_format: Optional[CorpusFormat] = typer.Option(None, "--from", help="Default: from the source's suffix (a folder is brat)."),
) -> None:
    """Convert an annotated corpus between JSONL, spaCy DocBin and brat (validated both ways)."""
    from .corpus.convert import ConversionError, convert

    try:
        n = convert(source, output, to.value, source_format.value if source_format else None)
    except (ConversionError, OSError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2)
    console.print(f"{n} documents -> {output} ({to.value})")


@corpus_app.command("validate")
def corpus_validate(
    paths: List[Path] = typer.Argument(..., help="Corpus JSONL files."),
    require_kb_ids: bool = typer.Option(False, "--require-kb-ids", help="Every concept entity needs a gold kb_id."),
) -> None:
    """Check corpus files against GUIDELINES.md; exit 1 if any problem is found."""
    from .corpus.validate import validate

    failed = False
    for path in paths:
        problems = validate(path, require_kb_ids=require_kb_ids)
        for problem in problems:
            typer.echo(problem)
        failed = failed or bool(problems)
        typer.echo(f"{path}: {len(problems)} problem(s)" if problems else f"{path}: valid")
    if failed:
        raise typer.Exit(1)


def _version(nlp) -> str:
    from .pipeline import model_version
    return model_version(nlp)


if __name__ == "__main__":  # pragma: no cover
    app()

"""``migrate translate dpark``: outputs, reports, the plan's location map and record of translations, --strict;
and the record every translate subcommand keeps under the plan's state folder."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from typer.testing import CliRunner

from migrate.cli import app
from migrate.reports.translation import record_translation

CORPUS = Path(__file__).parent / "dpark" / "corpus"


def _plan(tmp: Path) -> Path:
    (tmp / "mfs").mkdir(exist_ok=True)
    plan = tmp / "plan.yaml"
    plan.write_text(textwrap.dedent(f"""\
        version: 1
        name: t
        settings: {{state_dir: {tmp / 'state'}}}
        sources: {{mfs: {{kind: local, path: {tmp / 'mfs'}}}}}
        targets: {{lake: {{kind: s3, bucket: lake, prefix: raw}}}}
        datasets:
          - name: access
            source: {{store: mfs, path: log/access}}
            format: {{kind: tsv}}
            target: {{kind: copy, store: lake, path: access}}
          - name: orders
            source: {{store: mfs, path: warehouse/orders}}
            format: {{kind: tsv, header: false}}
            target: {{kind: iceberg, store: lake, table: sales.orders}}
        """))
    return plan


def test_cli_translates_corpus_with_reports(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["translate", "dpark", str(CORPUS), "-o", str(out), "--strict"])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "translation-report.json").read_text())
    assert data["kind"] == "dpark" and data["unit"] == "construct"
    assert data["summary"]["files"] == len(list(CORPUS.glob("*.py")))
    assert data["summary"]["files_by_status"]["unsupported"] == 0
    assert (out / "dparkcompat.py").exists() and (out / "etl_lib.py").exists()
    for f in out.glob("*.py"):
        compile(f.read_text(), str(f), "exec")
        assert "from dpark" not in f.read_text() and "import dpark\n" not in f.read_text()
    page = (out / "translation-report.html").read_text()
    assert "constructs in" in page and "<script" not in page
    md = (out / "translation-report.md").read_text()
    assert md.startswith("# DPark -> PySpark translation") and "files/s" in md


def test_cli_plan_rewrites_paths_and_records(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    job = tmp_path / "jobs" / "daily.py"
    job.parent.mkdir()
    job.write_text(f"from dpark import DparkContext\nctx = DparkContext()\n"
                   f"n = ctx.textFile('{tmp_path}/mfs/log/access/2024').count()\n"
                   f"rows = ctx.textFile('{tmp_path}/mfs/warehouse/orders').map(lambda l: l.split('\\t'))\n"
                   "ctx.makeRDD([n]).saveAsBeansdb('/mfs/kv')\n")
    res = CliRunner().invoke(app, ["translate", "dpark", str(job), "-o", str(tmp_path / "o"), "--plan", str(plan),
                                   "--strict"])
    assert res.exit_code == 1, res.output  # saveAsBeansdb is unsupported
    assert "daily.py:5: unsupported (saveAsBeansdb)" in res.output
    text = (tmp_path / "o" / "daily.py").read_text()
    assert "ctx.textFile('s3a://lake/raw/access/2024')" in text
    assert "dparkcompat.text_lines_from_table('sales.orders', '\\t', '')" in text
    record = json.loads((tmp_path / "state" / "translations" / "dpark.json").read_text())
    [entry] = record["files"]
    assert entry["abs_path"] == str(job.resolve()) and entry["status"] == "unsupported"
    assert entry["counts"]["unsupported"] == 1 and entry["output_path"].endswith("daily.py")

    job.write_text("from dpark import DparkContext\nctx = DparkContext()\nctx.makeRDD([1]).count()\n")
    res = CliRunner().invoke(app, ["translate", "dpark", str(job), "-o", str(tmp_path / "o"), "--plan", str(plan)])
    assert res.exit_code == 0, res.output
    [entry] = json.loads((tmp_path / "state" / "translations" / "dpark.json").read_text())["files"]
    assert entry["status"] == "translated"  # the later translation replaced the entry


def test_hive_with_plan_records_too(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    script = tmp_path / "q.hql"
    script.write_text("SELECT 1;\ndfs -ls /;\n")
    res = CliRunner().invoke(app, ["translate", "hive", str(script), "-o", str(tmp_path / "o"), "--plan", str(plan)])
    assert res.exit_code == 0, res.output
    [entry] = json.loads((tmp_path / "state" / "translations" / "hive.json").read_text())["files"]
    assert entry["given_path"] == str(script) and entry["path"] == str(script.resolve())
    assert entry["status"] == "unsupported"
    assert entry["counts"] == {"translated": 1, "translated_with_notes": 0, "unsupported": 1}


def test_record_keeps_other_files(tmp_path: Path) -> None:
    def report(path: str, unsupported: int) -> dict[str, object]:
        return {"files": [{"path": path, "output_path": None,
                           "counts": {"translated": 1, "translated_with_notes": 0, "unsupported": unsupported}}]}

    record_translation(tmp_path, "jobs", report("a.json", 0), base=tmp_path)
    record_translation(tmp_path, "jobs", report("b.json", 1), base=tmp_path)
    record_translation(tmp_path, "jobs", report("a.json", 2), base=tmp_path)
    files = json.loads((tmp_path / "translations" / "jobs.json").read_text())["files"]
    assert [(Path(f["abs_path"]).name, f["status"]) for f in files] == [("a.json", "unsupported"),
                                                                        ("b.json", "unsupported")]

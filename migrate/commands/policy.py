"""``migrate policy PLAN``: the least-privilege IAM policy (and lifecycle rules) for a plan's S3 access."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from migrate.commands import ensure_dir, write_output
from migrate.policy import DEFAULT_ABORT_DAYS, iam_policy, lifecycle_rules, plan_grants, seaweedfs_actions


def policy_command(
    plan: Path = typer.Argument(..., exists=True, dir_okay=False, metavar="PLAN", help="the migration plan YAML"),
    output: Path | None = typer.Option(None, "-o", "--output", help="write the IAM policy here (default: stdout)"),
    lifecycle: Path | None = typer.Option(
        None, "--lifecycle", help="write lifecycle-<bucket>.json files (abort incomplete multipart uploads) here"),
    days: int = typer.Option(DEFAULT_ABORT_DAYS, "--days", min=1, help="abort uploads left incomplete this long"),
    dataset: list[str] = typer.Option(None, "--dataset", "-d", help="only these datasets (repeatable)"),
    seaweedfs: bool = typer.Option(False, "--seaweedfs", help="print SeaweedFS identity actions instead of IAM"),
) -> None:
    """Write the IAM policy for exactly the buckets and prefixes PLAN reads and writes.

    Apply with `aws iam put-user-policy --policy-document file://POLICY` (or a role policy) and
    `aws s3api put-bucket-lifecycle-configuration --bucket B --lifecycle-configuration file://lifecycle-B.json`.
    """
    from migrate.plan import load_plan

    loaded = load_plan(plan)
    if dataset:
        loaded.dataset(dataset[0])  # an unknown name is an error naming the known ones
        for name in dataset[1:]:
            loaded.dataset(name)
    grants = plan_grants(loaded, dataset or None)
    text = json.dumps(seaweedfs_actions(grants) if seaweedfs else iam_policy(grants), indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_output(output, text)
        typer.echo(f"wrote {output}", err=True)
    if lifecycle is not None:
        ensure_dir(lifecycle, "lifecycle folder")
        for bucket, body in lifecycle_rules(grants, days).items():
            write_output(lifecycle / f"lifecycle-{bucket}.json", json.dumps(body, indent=2) + "\n")
            typer.echo(f"wrote {lifecycle / f'lifecycle-{bucket}.json'}", err=True)
    covered = ", ".join(f"s3://{b} ({', '.join(p or '(whole bucket)' for p in grants.prefixes(b))})"
                        for b in grants.buckets()) or "no S3 store"
    typer.echo(f"{len(grants.grants)} grant(s): {covered}", err=True)
    if grants.not_covered:
        typer.echo(f"not covered (their access is not IAM's): {', '.join(grants.not_covered)}", err=True)

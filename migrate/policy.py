"""Least-privilege access for a plan: exactly the S3 buckets and prefixes it reads and writes.

``plan_grants(plan)`` derives, from the plan alone (no store is contacted), which prefixes of which
buckets are read (dataset sources) and which are written (dataset targets, Iceberg table locations).
Three renderings of the same grants:

- ``iam_policy(grants)``: an AWS IAM policy document. Reads: ``s3:GetObject`` on the source prefixes.
  Writes: ``s3:GetObject`` (recovery and counting read parts back), ``s3:PutObject``, ``s3:DeleteObject``
  (stale parts, crash clean-up), ``s3:AbortMultipartUpload`` and ``s3:ListMultipartUploadParts`` (a run
  aborts the uploads a crashed run left) on the target prefixes. ``s3:ListBucket`` per bucket, limited by an
  ``s3:prefix`` condition to the prefixes above; ``s3:ListBucketMultipartUploads`` on target buckets (crash
  recovery lists the uploads under its prefix; IAM offers no prefix condition for it).
- ``lifecycle_rules(grants)``: per target bucket, a lifecycle configuration whose rules abort multipart
  uploads left incomplete under each target prefix after ``days`` days (a safety net beside the engine's
  own clean-up; scoped to the prefixes so other users of the bucket are not affected).
- ``seaweedfs_actions(grants)``: the same grants as SeaweedFS identity actions (``Read:bucket/prefix/*``,
  ``Write:...``, ``List:...``), for SeaweedFS deployments and for the test that runs a migration with them.

Stores that are not S3 (local paths, WebHDFS, JuiceFS) are listed in ``Grants.not_covered``: their access
control is the file system's or HDFS's, not IAM.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrate.plan import Plan, S3Store

OBJECT_READ = ["s3:GetObject"]
OBJECT_WRITE = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts"]
DEFAULT_ABORT_DAYS = 7


@dataclass(frozen=True, order=True)
class Grant:
    bucket: str
    prefix: str  # without leading/trailing "/"; "" is the whole bucket
    write: bool
    why: str = field(compare=False, default="")

    def arn(self) -> str:
        return f"arn:aws:s3:::{self.bucket}/{self.prefix}/*" if self.prefix else f"arn:aws:s3:::{self.bucket}/*"


@dataclass
class Grants:
    grants: list[Grant] = field(default_factory=list)
    not_covered: list[str] = field(default_factory=list)  # stores whose access IAM does not govern

    def buckets(self) -> list[str]:
        return sorted({g.bucket for g in self.grants})

    def prefixes(self, bucket: str, write: bool | None = None) -> list[str]:
        return sorted({g.prefix for g in self.grants if g.bucket == bucket and (write is None or g.write == write)})


def _s3_location(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key.strip("/")


def _minimal(grants: list[Grant]) -> list[Grant]:
    """Drop a grant that another covers (same bucket, a prefix of it, at least as much access)."""
    out = []
    for g in sorted(set(grants)):
        covered = any(o is not g and o.bucket == g.bucket and (o.write or not g.write)
                      and (o.prefix == "" or g.prefix == o.prefix or g.prefix.startswith(o.prefix + "/"))
                      and (o.prefix, o.write) != (g.prefix, g.write) for o in set(grants))
        if not covered:
            out.append(g)
    return out


def plan_grants(plan: Plan, datasets: list[str] | None = None) -> Grants:
    """What the plan's datasets (all, or those named) read and write on S3."""
    result = Grants()
    found: list[Grant] = []
    uncovered: set[str] = set()
    for ds in plan.datasets:
        if datasets and ds.name not in datasets:
            continue
        for role, store_name, path in (("source", ds.source.store, ds.source.path),
                                       ("target", ds.target.store, _target_path(plan, ds))):
            store = plan.store(store_name)
            if not isinstance(store, S3Store):
                uncovered.add(f"{store_name} ({store.kind})")
                continue
            uri, _ = plan.location(store_name, path or "")
            bucket, prefix = _s3_location(uri)
            found.append(Grant(bucket, prefix, role == "target", f"dataset {ds.name} {role}"))
        if ds.target.kind == "iceberg":
            wh = _iceberg_warehouse(plan)
            if wh is not None and not ds.target.path:
                found.append(Grant(*_s3_location(wh), True, f"dataset {ds.name} iceberg warehouse"))
    result.grants = _minimal(found)
    result.not_covered = sorted(uncovered)
    return result


def _target_path(plan: Plan, ds: Any) -> str:
    return ds.target.path or ""


def _iceberg_warehouse(plan: Plan) -> str | None:
    cat = plan.resolved_catalog()
    return cat.warehouse if cat.warehouse and cat.warehouse.startswith("s3://") else None


def iam_policy(grants: Grants) -> dict[str, Any]:
    """An IAM policy document (``Version`` 2012-10-17) for exactly ``grants``."""
    statements: list[dict[str, Any]] = []
    reads = [g.arn() for g in grants.grants if not g.write]
    writes = [g.arn() for g in grants.grants if g.write]
    if reads:
        statements.append({"Sid": "ReadSourceObjects", "Effect": "Allow", "Action": OBJECT_READ,
                           "Resource": sorted(reads)})
    if writes:
        statements.append({"Sid": "WriteTargetObjects", "Effect": "Allow", "Action": OBJECT_WRITE,
                           "Resource": sorted(writes)})
    for i, bucket in enumerate(grants.buckets()):
        prefixes = grants.prefixes(bucket)
        listing: dict[str, Any] = {"Sid": f"ListPrefixes{i}", "Effect": "Allow", "Action": ["s3:ListBucket"],
                                   "Resource": f"arn:aws:s3:::{bucket}"}
        if "" not in prefixes:  # the whole bucket needs no condition
            listing["Condition"] = {"StringLike": {"s3:prefix": sorted(
                {v for p in prefixes for v in (p, f"{p}/*")})}}
        statements.append(listing)
        if grants.prefixes(bucket, write=True):
            statements.append({"Sid": f"ListUploads{i}", "Effect": "Allow",
                               "Action": ["s3:ListBucketMultipartUploads"], "Resource": f"arn:aws:s3:::{bucket}"})
    return {"Version": "2012-10-17", "Statement": statements}


def lifecycle_rules(grants: Grants, days: int = DEFAULT_ABORT_DAYS) -> dict[str, dict[str, Any]]:
    """Per target bucket, a ``PutBucketLifecycleConfiguration`` body aborting stale uploads under its prefixes."""
    out: dict[str, dict[str, Any]] = {}
    for bucket in grants.buckets():
        prefixes = grants.prefixes(bucket, write=True)
        if not prefixes:
            continue
        rules = []
        for n, p in enumerate(prefixes):
            rules.append({"ID": f"migrate-abort-incomplete-uploads-{n}", "Status": "Enabled",
                          "Filter": {"Prefix": f"{p}/" if p else ""},
                          "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": days}})
        out[bucket] = {"Rules": rules}
    return out


def seaweedfs_actions(grants: Grants) -> list[str]:
    """The grants as SeaweedFS identity actions (``Read``/``Write``/``List`` scoped to ``bucket/prefix/*``)."""
    actions: set[str] = set()
    for g in grants.grants:
        scope = f"{g.bucket}/{g.prefix}/*" if g.prefix else g.bucket
        actions.update({f"Read:{scope}", f"List:{scope}"})
        if g.write:
            actions.add(f"Write:{scope}")
    return sorted(actions)

"""Read and write rows as JSONL, Parquet or Hugging Face datasets, with errors at ``file:line``."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from alignloop._util.atomic import atomic_path
from alignloop._util.errors import DataError

R = TypeVar("R", bound=BaseModel)


def _fmt_validation(path: str, line: int, err: ValidationError) -> DataError:
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "(row)"
    msg = "missing" if first["type"] == "missing" else first["msg"]
    return DataError(f"{path}:{line}: field {field!r}: {msg}", hint="fix or remove that row")


def repeat_error(path: str | os.PathLike[str], line: int, rid: object, first: int, derived: bool) -> DataError:
    """The error for a row whose id an earlier row had; ``derived`` ids come from content, so the row repeats."""
    if derived:
        return DataError(f"{path}:{line}: repeats line {first}", hint="remove the repeated row")
    return DataError(f"{path}:{line}: duplicate id {rid!r} (first at line {first})", hint="make ids unique")


def iter_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line; a broken line is a :class:`DataError`."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"file not found: {p}")
    with p.open("rb") as f:
        for n, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise DataError(f"{p}:{n}: not valid UTF-8", hint="re-save the file as UTF-8") from None
            except json.JSONDecodeError as e:
                raise DataError(f"{p}:{n}: broken JSON ({e.msg} at column {e.colno})", hint="fix that line") from None
            if not isinstance(obj, dict):
                raise DataError(f"{p}:{n}: expected a JSON object, got {type(obj).__name__}")
            yield n, obj


def read_rows(path: str | os.PathLike[str], schema: type[R], unique_ids: bool = True) -> list[R]:
    """Read and validate rows from ``.jsonl``, ``.parquet`` or a saved ``datasets`` folder.

    Raises:
        DataError: naming ``file:line`` (the row number for Parquet/datasets) and the field.
    """
    p = Path(path)
    if p.is_dir():
        raw: Iterable[tuple[int, dict[str, Any]]] = _iter_hf(p)
    elif p.suffix == ".parquet":
        raw = _iter_parquet(p)
    else:
        raw = iter_jsonl(p)
    rows: list[R] = []
    seen: dict[str, int] = {}
    for n, obj in raw:
        try:
            row = schema.model_validate(obj)
        except ValidationError as e:
            raise _fmt_validation(str(p), n, e) from None
        rid = getattr(row, "id", None)
        if unique_ids and rid is not None:
            if rid in seen:
                raise repeat_error(p, n, rid, seen[rid], derived="id" not in obj)
            seen[rid] = n
        rows.append(row)
    return rows


def _iter_parquet(p: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(p)
    except Exception as e:  # pyarrow raises several types for corrupt files
        raise DataError(f"{p}: not a readable Parquet file ({e})") from None
    for i, obj in enumerate(table.to_pylist(), start=1):
        yield i, {k: v for k, v in obj.items() if v is not None}


def _iter_hf(p: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    import datasets

    try:
        ds = datasets.load_from_disk(str(p))
    except Exception as e:
        raise DataError(f"{p}: not a saved Hugging Face dataset ({e})") from None
    if isinstance(ds, datasets.DatasetDict):
        ds = ds["train"] if "train" in ds else next(iter(ds.values()))
    for i, obj in enumerate(ds, start=1):
        yield i, {k: v for k, v in obj.items() if v is not None}


def _dump(row: BaseModel | dict[str, Any]) -> dict[str, Any]:
    if isinstance(row, BaseModel):
        return row.model_dump(mode="json", exclude_none=True)
    return row


def write_rows(path: str | os.PathLike[str], rows: Iterable[BaseModel | dict[str, Any]]) -> Path:
    """Write rows atomically; the format follows the suffix (``.jsonl``, ``.parquet``) or a folder (datasets)."""
    p = Path(path)
    dicts = [_dump(r) for r in rows]
    with atomic_path(p) as tmp:
        if p.suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.Table.from_pylist(dicts), tmp)
        elif p.suffix in (".jsonl", ".json", ""):
            if p.suffix == "":
                import datasets

                datasets.Dataset.from_list(dicts).save_to_disk(str(tmp))
            else:
                with tmp.open("w", encoding="utf-8") as f:
                    for d in dicts:
                        f.write(json.dumps(d, ensure_ascii=False) + "\n")
        else:
            raise DataError(f"unknown output format for {p}", hint="use .jsonl, .parquet, or a folder name")
    return p


def to_hf_dataset(rows: Sequence[BaseModel | dict[str, Any]]) -> Any:
    """A ``datasets.Dataset`` of the rows (the form TRL trainers take)."""
    import datasets

    return datasets.Dataset.from_list([_dump(r) for r in rows])


class JsonlAppender:
    """Append rows to a JSONL file one at a time, for resumable work.

    Already-written ids are read back on open (a torn last line from a kill is dropped), so
    a restarted job skips them: no lost and no duplicated rows.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.rows: list[dict[str, Any]] = []
        if self.path.exists():
            good: list[bytes] = []
            with self.path.open("rb") as f:
                for raw in f:
                    try:
                        self.rows.append(json.loads(raw))
                        good.append(raw if raw.endswith(b"\n") else raw + b"\n")
                    except json.JSONDecodeError:
                        break  # torn tail from a kill; rewrite without it
            with atomic_path(self.path) as tmp:
                tmp.write_bytes(b"".join(good))
        self.done = {str(r.get("id")) for r in self.rows}
        self._f = self.path.open("a", encoding="utf-8")

    def append(self, row: dict[str, Any]) -> None:
        """Write one row and flush it to disk."""
        self._f.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._f.flush()
        os.fsync(self._f.fileno())
        self.rows.append(row)
        self.done.add(str(row.get("id")))

    def close(self) -> None:
        """Close the file."""
        self._f.close()

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

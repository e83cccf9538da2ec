"""Hand-written statements for the few hot write paths (a checkout, a stock change).

Django's query compiler costs more Python time than the database spends on these statements; these
helpers write the same values Django would (each field's `pre_save` and `get_db_prep_save`, so
`auto_now_add`, JSON, dates and UUIDs come out the same) in one plain statement. They send no
signals, like `bulk_create`. Use them only where a benchmark shows the ORM's cost.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import cache
from typing import Any

from django.db import connection, models

# Field classes whose Python values of the types below are already what the driver takes.
_PLAIN_FIELDS = (models.IntegerField, models.BooleanField, models.CharField, models.TextField)
_PLAIN_TYPES = (int, str, bool, type(None))
_MAX_CACHED_PARAMS = 50


def _plain(field: Any) -> bool:
    if isinstance(field, models.ForeignKey):
        return _plain(field.target_field)
    if isinstance(field, models.AutoField):
        return True
    return isinstance(field, _PLAIN_FIELDS) and not isinstance(field, models.GenericIPAddressField)


@cache
def _insert_shape(model: type[models.Model]) -> tuple[list[tuple[Any, bool, bool]], str, str]:
    """Per written field: (field, a plain value needs no preparation, it has a pre_save of its own);
    the statement's head; the primary key's column."""
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    fields = [
        field for field in meta.concrete_fields if field is not pk or not isinstance(pk, models.AutoField)
    ]
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(field.column)) for field in fields)
    shape = [
        (
            field,
            _plain(field),
            bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)),
        )
        for field in fields
    ]
    return shape, f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ", quote(str(pk.column))


def rows_insert(objs: Sequence[models.Model]) -> None:
    """INSERT unsaved instances of one model in one statement and set their primary keys.

    Rows come back in the order given (`RETURNING`, on PostgreSQL and on SQLite ≥ 3.35, as Django's
    own `bulk_create` relies on)."""
    if not objs:
        return
    model = type(objs[0])
    shape, head, pk_column = _insert_shape(model)
    placeholder = "(" + ", ".join(["%s"] * len(shape)) + ")"
    params: list[Any] = []
    plain_types = _PLAIN_TYPES
    for obj in objs:
        for field, plain, has_pre_save in shape:
            value = field.pre_save(obj, True) if has_pre_save else getattr(obj, field.attname)
            if not (plain and type(value) in plain_types):
                value = field.get_db_prep_save(value, connection)
            params.append(value)
    if len(params) > _MAX_CACHED_PARAMS and connection.vendor == "postgresql":
        # One array per column, as Django's bulk_create does on PostgreSQL: the statement's text and
        # its parameter count stay the same for any number of rows, so the driver's query cache and
        # the server's plan cache both keep it (psycopg caches no statement of more than 50
        # parameters). Fewer parameters go as plain VALUES: scalars bind cheaper than arrays.
        count = len(shape)
        arrays = [params[index::count] for index in range(count)]
        sql = f"{head[: -len(' VALUES ')]} SELECT * FROM UNNEST({_unnest_casts(model)}) RETURNING {pk_column}"
        params = arrays
    else:
        sql = f"{head}{', '.join([placeholder] * len(objs))} RETURNING {pk_column}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = cursor.fetchall()
    pk_name = model._meta.pk.attname  # type: ignore[union-attr]
    db = connection.alias
    for obj, (pk,) in zip(objs, ids, strict=True):
        setattr(obj, pk_name, pk)
        obj._state.adding = False
        obj._state.db = db


@cache
def _unnest_casts(model: type[models.Model]) -> str:
    shape = _insert_shape(model)[0]
    types = [field.db_type(connection).split("(")[0] for field, _plain, _pre_save in shape]
    return ", ".join(f"(%s)::{db_type}[]" for db_type in types)


@cache
def _read_shape(model: type[models.Model]) -> tuple[list[Any], list[tuple[int, Any, list[Any]]], int]:
    """The concrete fields a row is read into; for those that need it, (index, column, converters)
    as Django's compiler applies them (the backend's, then the field's own); the pk's index."""
    meta = model._meta
    fields: list[Any] = list(meta.concrete_fields)
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(meta.db_table)
        found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if found:
            converters.append((index, column, found))
    return fields, converters, fields.index(meta.pk)


def columns(model: type[models.Model], alias: str) -> str:
    """`alias.col1, alias.col2, …` for every concrete field, in the order `instance_from` reads."""
    fields = _read_shape(model)[0]
    return ", ".join(f"{alias}.{connection.ops.quote_name(str(field.column))}" for field in fields)


def width(model: type[models.Model]) -> int:
    """How many values of a row `columns(model, …)` selects."""
    return len(_read_shape(model)[0])


def instance_from(model: type[models.Model], row: Sequence[Any], start: int = 0) -> Any:
    """An instance from `row[start:]` as selected by `columns(model, …)`, or None when its primary key
    is NULL (a LEFT JOIN that found nothing)."""
    fields, converters, pk_index = _read_shape(model)
    values = list(row[start : start + len(fields)])
    if values[pk_index] is None:
        return None
    for index, column, field_converters in converters:
        value = values[index]
        if value is not None:
            for converter in field_converters:
                value = converter(value, column, connection)
            values[index] = value
    return model.from_db(connection.alias, (), values)  # every concrete field: names are not read


def placeholders(values: Collection[Any]) -> str:
    """`%s, %s, …` for an IN list."""
    return ", ".join(["%s"] * len(values))


def rows_update(model: type[models.Model], values: dict[int, dict[str, Any]], **same: Any) -> None:
    """One UPDATE … SET col = CASE id WHEN … END for many rows by primary key: Django's
    `bulk_update` builds an expression per row and field, which costs more Python time than the
    rest of a checkout. `values` maps pk → {field name: new value}; `same` sets one value on all."""
    if not values:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk_column = quote(str(meta.pk.column))  # type: ignore[union-attr]
    assignments: list[str] = []
    params: list[Any] = []
    for name in next(iter(values.values())):
        field = meta.get_field(name)
        cast = isinstance(field, models.BigIntegerField | models.ForeignKey)
        cases = []
        for pk, row in values.items():
            cases.append("WHEN %s THEN CAST(%s AS BIGINT)" if cast else "WHEN %s THEN %s")
            params.extend([pk, field.get_db_prep_save(row[name], connection)])  # type: ignore[union-attr]
        column = quote(str(field.column))  # type: ignore[union-attr]
        assignments.append(f"{column} = CASE {pk_column} {' '.join(cases)} END")
    for name, value in same.items():
        field = meta.get_field(name)
        assignments.append(f"{quote(str(field.column))} = %s")  # type: ignore[union-attr]
        params.append(field.get_db_prep_save(value, connection))  # type: ignore[union-attr]
    params.extend(values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {', '.join(assignments)} WHERE {pk_column} IN ({placeholders(values)})",
            params,
        )


def row_update(model: type[models.Model], pk: int, **values: Any) -> int:
    """UPDATE one row by primary key with plain values; returns the number of rows changed."""
    meta = model._meta
    quote = connection.ops.quote_name
    assignments: list[str] = []
    params: list[Any] = []
    for name, value in values.items():
        field = meta.get_field(name)
        assignments.append(f"{quote(str(field.column))} = %s")  # type: ignore[union-attr]
        params.append(field.get_db_prep_save(value, connection))  # type: ignore[union-attr]
    params.append(pk)
    pk_column = quote(str(meta.pk.column))  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} WHERE {pk_column} = %s", params
        )
        return cursor.rowcount

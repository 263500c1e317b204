"""Registry from (event_type, schema_version) to contract model, with upcasters.

Old events are never rewritten: they are stored as they were written and converted on read.
An upcaster turns the payload of ``(event_type, v)`` into that of ``(event_type, v + 1)``;
``upcast`` chains them up to the current version. An event whose type or version is unknown
raises ``UnknownEventError``, which consumers route to the dead-letter topic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson

from xuncha_shared.envelope import EventEnvelope, EventPayload, JsonDict

Upcaster = Callable[[JsonDict], JsonDict]


class UnknownEventError(LookupError):
    """An event type or schema version this reader has no contract for."""


class EventRegistry:
    def __init__(self) -> None:
        self._models: dict[tuple[str, int], type[EventPayload]] = {}
        self._current: dict[str, int] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(self, model: type[EventPayload]) -> type[EventPayload]:
        key = (model.event_type, model.schema_version)
        if key in self._models and self._models[key] is not model:
            raise ValueError(f"{key} registered twice")
        self._models[key] = model
        self._current[model.event_type] = max(
            self._current.get(model.event_type, 0), model.schema_version
        )
        return model

    def register_all(self, models: Iterable[type[EventPayload]]) -> None:
        for model in models:
            self.register(model)

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        def decorate(fn: Upcaster) -> Upcaster:
            self._upcasters[(event_type, from_version)] = fn
            return fn

        return decorate

    def current_version(self, event_type: str) -> int:
        try:
            return self._current[event_type]
        except KeyError:
            raise UnknownEventError(f"unknown event type {event_type!r}") from None

    def model(self, event_type: str, schema_version: int | None = None) -> type[EventPayload]:
        version = schema_version or self.current_version(event_type)
        try:
            return self._models[(event_type, version)]
        except KeyError:
            raise UnknownEventError(
                f"unknown event {event_type!r} schema version {version}"
            ) from None

    def known(self, event_type: str, schema_version: int) -> bool:
        return (event_type, schema_version) in self._models or (
            (event_type, schema_version) in self._upcasters
        )

    def models(self) -> list[type[EventPayload]]:
        return [self._models[k] for k in sorted(self._models)]

    def upcast(self, envelope: EventEnvelope) -> EventEnvelope:
        """The envelope with its payload converted to the current schema version. The stored
        ``hash`` still refers to the stored form (audit verification reads raw rows)."""
        version, payload = self.upcast_payload(
            envelope.event_type, envelope.schema_version, envelope.payload
        )
        if version == envelope.schema_version:
            return envelope
        return envelope.model_copy(update={"schema_version": version, "payload": payload})

    def upcast_payload(
        self, event_type: str, schema_version: int, payload: JsonDict
    ) -> tuple[int, JsonDict]:
        """A stored payload of ``(event_type, schema_version)`` converted to the current schema
        version: ``(current version, payload)`` (the same dict when it is current already)."""
        current = self.current_version(event_type)
        if schema_version > current:
            raise UnknownEventError(
                f"{event_type} schema version {schema_version} is newer than this reader "
                f"knows ({current})"
            )
        version = schema_version
        while version < current:
            step = self._upcasters.get((event_type, version))
            if step is None:
                raise UnknownEventError(
                    f"no upcaster for {event_type} from schema version {version}"
                )
            payload = step(dict(payload))
            version += 1
        return version, payload

    def decode(self, envelope: EventEnvelope) -> EventPayload:
        """The typed payload at the current schema version."""
        return self.decode_payload(envelope.event_type, envelope.schema_version, envelope.payload)

    def decode_payload(
        self, event_type: str, schema_version: int, payload: JsonDict | str
    ) -> EventPayload:
        """A stored payload of ``(event_type, schema_version)``, parsed or as its JSON text, as
        its contract at the current version. JSON text at the current version is validated as
        pydantic parses it (no dict built first: a rebuild's history rows); older text is
        parsed, then upcast."""
        if isinstance(payload, str):
            if schema_version == self.current_version(event_type):
                return self.model(event_type, schema_version).model_validate_json(payload)
            parsed: JsonDict = orjson.loads(payload)
        else:
            parsed = payload
        version, data = self.upcast_payload(event_type, schema_version, parsed)
        return self.model(event_type, version).model_validate(data)

    def json_schemas(self) -> dict[str, Any]:
        return {f"{m.event_type}.v{m.schema_version}": m.model_json_schema() for m in self.models()}

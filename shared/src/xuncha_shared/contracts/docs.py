"""Generate the contract documents in docs/: JSON Schema per event and an AsyncAPI document.

    python -m xuncha_shared.contracts.docs docs/     # (also `make contracts`)

A unit test fails when the committed documents differ from what the code would generate.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from xuncha_shared.contracts import REGISTRY
from xuncha_shared.contracts.topics import AUDIT_CHECKPOINTS, STREAM_TOPICS, dlq_topic
from xuncha_shared.envelope import EventEnvelope


def event_schemas() -> dict[str, dict[str, Any]]:
    return {
        f"{m.event_type}.v{m.schema_version}": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"{m.event_type} (schema version {m.schema_version})",
            "x-event-type": m.event_type,
            "x-schema-version": m.schema_version,
            **m.model_json_schema(),
        }
        for m in REGISTRY.models()
    }


def envelope_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **EventEnvelope.model_json_schema(),
    }


def asyncapi_document() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for stream_type, spec in STREAM_TOPICS.items():
        channel_messages = {}
        for m in REGISTRY.models():
            if m.event_type.split(".")[0] != spec.service:
                continue
            name = f"{m.event_type}.v{m.schema_version}"
            key = name.replace(".", "_")
            messages[key] = {
                "name": m.event_type,
                "title": f"{m.event_type} v{m.schema_version}",
                "summary": (m.__doc__ or "").strip().splitlines()[0] if m.__doc__ else "",
                "contentType": "application/json",
                "headers": {
                    "type": "object",
                    "properties": {
                        h: {"type": "string"}
                        for h in (
                            "event_id",
                            "event_type",
                            "schema_version",
                            "stream_id",
                            "jurisdiction",
                            "traceparent",
                        )
                    },
                },
                "correlationId": {"location": "$message.header#/event_id"},
                "payload": {
                    "allOf": [
                        {"$ref": "./contracts/envelope.schema.json"},
                        {
                            "type": "object",
                            "properties": {
                                "event_type": {"const": m.event_type},
                                "schema_version": {"const": m.schema_version},
                                "stream_type": {"const": stream_type},
                                "payload": {"$ref": f"./contracts/{name}.schema.json"},
                            },
                        },
                    ]
                },
            }
            channel_messages[key] = {"$ref": f"#/components/messages/{key}"}
        channels[spec.name.replace(".", "_")] = {
            "address": spec.name,
            "description": f"{spec.description}. Key: stream_id. Retention: infinite.",
            "messages": channel_messages,
        }
        operations[f"publish_{spec.name.replace('.', '_')}"] = {
            "action": "send",
            "summary": f"The {spec.service} outbox relay publishes committed events.",
            "channel": {"$ref": f"#/channels/{spec.name.replace('.', '_')}"},
        }
        dlq = dlq_topic(spec.name)
        channels[dlq.replace(".", "_")] = {
            "address": dlq,
            "description": (
                "Dead letters of consumers of " + spec.name + ": the original bytes with "
                "headers dlq_reason, dlq_consumer, original_topic, original_partition, "
                "original_offset."
            ),
        }
    channels[AUDIT_CHECKPOINTS.replace(".", "_")] = {
        "address": AUDIT_CHECKPOINTS,
        "description": "Signed checkpoints of each service's history (audit).",
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "xuncha events",
            "version": "1.0.0",
            "description": (
                "Domain events of the xuncha services (intake, clues, rectification, "
                "reporting). Topic names: <service>.<aggregate>.v<N>; dead letters: <topic>.dlq."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:19092",
                "protocol": "kafka",
                "description": "make up (deploy/local)",
            },
            "compose": {
                "host": "kafka:9092",
                "protocol": "kafka",
                "description": "docker-compose.yml",
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def render(out_dir: Path) -> dict[Path, str]:
    files: dict[Path, str] = {}

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"

    files[out_dir / "contracts" / "envelope.schema.json"] = dump(envelope_schema())
    for name, schema in event_schemas().items():
        files[out_dir / "contracts" / f"{name}.schema.json"] = dump(schema)
    files[out_dir / "asyncapi.json"] = dump(asyncapi_document())
    return files


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    out_dir = Path(args[0] if args else "docs")
    for path, text in render(out_dir).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(path)


if __name__ == "__main__":
    main()

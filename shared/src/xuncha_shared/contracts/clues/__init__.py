"""clues.* events (owner: the clues service).

One module per concern: a clue's registration, classification, escalation and transfer
(``registration``), what follows the transfer (``results``), the clocks' firings
(``deadlines``), and the group's findings and reports (``findings``). Every name is re-exported
here, with the registry's ``MODELS`` and ``UPCASTERS``.
"""

from __future__ import annotations

from xuncha_shared.contracts.clues.deadlines import (
    DeadlineRecomputed,
    DeadlineWarningRaised,
    EscalationOverdue,
    TransferResultOverdue,
)
from xuncha_shared.contracts.clues.findings import (
    ConsultationHeld,
    HearingMeeting,
    InspectionReportDrafted,
    InspectionReportHeard,
    InspectionReportKind,
    ProblemRecorded,
)
from xuncha_shared.contracts.clues.registration import (
    CLUE_NAMESPACE,
    CadreLevel,
    ClueCategory,
    ClueClassified,
    ClueEscalated,
    CluePerson,
    ClueRegistered,
    ClueRegisteredV1,
    ClueRegisteredV2,
    ClueRegisteredV3,
    ClueTransferred,
    ClueTransferredV1,
    clue_id_for_petition,
    clue_id_for_record,
    upcast_clue_registered_v1,
    upcast_clue_registered_v2,
    upcast_clue_registered_v3,
    upcast_clue_transferred_v1,
)
from xuncha_shared.contracts.clues.results import (
    AcknowledgementPath,
    ClueAcknowledged,
    ClueAcknowledgedV1,
    ClueArchived,
    ClueDisposed,
    ClueVerified,
    Disposition,
    TransferResultReported,
    TransferResultUrged,
    VerificationMethod,
    upcast_clue_acknowledged_v1,
)
from xuncha_shared.envelope import EventPayload

MODELS: tuple[type[EventPayload], ...] = (
    ClueRegisteredV1,
    ClueRegisteredV2,
    ClueRegisteredV3,
    ClueRegistered,
    ClueClassified,
    ClueEscalated,
    ClueTransferredV1,
    ClueTransferred,
    ClueVerified,
    ClueAcknowledgedV1,
    ClueAcknowledged,
    TransferResultReported,
    TransferResultUrged,
    ClueDisposed,
    ClueArchived,
    DeadlineWarningRaised,
    TransferResultOverdue,
    EscalationOverdue,
    DeadlineRecomputed,
    InspectionReportHeard,
    InspectionReportDrafted,
    ProblemRecorded,
    ConsultationHeld,
)
UPCASTERS = {
    ("clues.ClueRegistered", 1): upcast_clue_registered_v1,
    ("clues.ClueRegistered", 2): upcast_clue_registered_v2,
    ("clues.ClueRegistered", 3): upcast_clue_registered_v3,
    ("clues.ClueTransferred", 1): upcast_clue_transferred_v1,
    ("clues.ClueAcknowledged", 1): upcast_clue_acknowledged_v1,
}

__all__ = [
    "CLUE_NAMESPACE",
    "MODELS",
    "UPCASTERS",
    "AcknowledgementPath",
    "CadreLevel",
    "ClueAcknowledged",
    "ClueAcknowledgedV1",
    "ClueArchived",
    "ClueCategory",
    "ClueClassified",
    "ClueDisposed",
    "ClueEscalated",
    "CluePerson",
    "ClueRegistered",
    "ClueRegisteredV1",
    "ClueRegisteredV2",
    "ClueRegisteredV3",
    "ClueTransferred",
    "ClueTransferredV1",
    "ClueVerified",
    "ConsultationHeld",
    "DeadlineRecomputed",
    "DeadlineWarningRaised",
    "Disposition",
    "EscalationOverdue",
    "HearingMeeting",
    "InspectionReportDrafted",
    "InspectionReportHeard",
    "InspectionReportKind",
    "ProblemRecorded",
    "TransferResultOverdue",
    "TransferResultReported",
    "TransferResultUrged",
    "VerificationMethod",
    "clue_id_for_petition",
    "clue_id_for_record",
    "upcast_clue_acknowledged_v1",
    "upcast_clue_registered_v1",
    "upcast_clue_registered_v2",
    "upcast_clue_registered_v3",
    "upcast_clue_transferred_v1",
]

"""Service layer of intake: command handlers (HTTP) and event handlers (Kafka consumers), one
module per part of the lifecycle, each over the shared command loop (``xuncha_shared.aggregates``):

* ``petitions``: recording a petition, reading and erasing its reporter's identity, notices, and
  the consumers that follow the clues born from petitions;
* ``planning``: step 1, inspected units, term plans, linkage plans and rounds;
* ``groups``: steps 2 to 4, the talent pool, groups and stationing, the intake records;
* ``clocks``: a walk-in taken up (R13), a stationing's dispatches and progress reports (R15).
"""

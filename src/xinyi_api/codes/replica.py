"""Reading scan profiles from a replica without ever caching a state a notification outdated.

A replica replays the primary's changes a few milliseconds late. A worker hears of a change by
its notification, evicts the profiles it depends on, and the next scan reloads them; reloaded
from a replica that has not replayed the change yet, the old state would be cached again —
until the next change. So every notification carries the id of the transaction that made the
change (``<xid>:<subject ids>``, ``migrations/0104_scan_profiles.sql``), and a profile read on a
replica is kept only when that snapshot has it:

- the read returns the xmin of its own snapshot (``pg_snapshot_xmin(pg_current_snapshot())``:
  every transaction id below it had ended when the snapshot was taken — on a hot standby, its
  commit had been replayed). It is taken with the data, in the same statement, so it can never
  be newer than the data (``pg_last_wal_replay_lsn()`` read in the same statement could be);
- ``NotifiedChanges`` remembers, per subject, the last transaction a notification named for it
  (and for ``*`` notifications, which name no subjects, a floor for all). A profile of subject S
  (a store: and of its enterprise) read with snapshot xmin m is current if each of those ids is
  below m; otherwise the worker reads it again from the primary.

Notifications are queued in commit order and a replica replays commits in that order, so the
*last* transaction named for a subject being visible implies every earlier one is. The check is
conservative: a transaction still running on the primary holds the replica's xmin back, and
reads of subjects changed since then go to the primary until it ends.

Entries are forgotten once a replica snapshot's xmin has passed them; beyond ``max_subjects``
they collapse into the floor (all reads then wait for the newest).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["NotifiedChanges"]


class NotifiedChanges:
    """Per subject, the last announced transaction a replica read must be past (see above)."""

    def __init__(self, max_subjects: int = 100_000) -> None:
        self.max_subjects = max_subjects
        self._by_subject: dict[str, tuple[int, int]] = {}
        """subject → (notification number, transaction id)."""
        self._floor: tuple[int, int] = (0, 0)
        self._latest: tuple[int, int] = (0, 0)
        self._count = 0
        self.seen_xmin = 0
        """The largest replica snapshot xmin seen so far."""
        self.stale_reads = 0
        """Replica reads that were not current (read again from the primary)."""

    def record(self, xid: int, subject_ids: Iterable[str] | None) -> None:
        """A notification: transaction ``xid`` changed ``subject_ids`` (``None``: unknown)."""
        self._count += 1
        entry = (self._count, xid)
        self._latest = entry
        if subject_ids is None:
            self._floor = entry
            self._by_subject.clear()  # the floor is later than all of them
            return
        for subject_id in subject_ids:
            self._by_subject[subject_id] = entry
        if len(self._by_subject) > self.max_subjects:
            self._floor = entry
            self._by_subject.clear()

    @property
    def latest_xid(self) -> int:
        return self._latest[1]

    def clear(self) -> None:
        """The listener (re)connected: nothing announced before matters to a fresh cache."""
        self._by_subject.clear()
        self._floor = self._latest = (0, 0)

    def current(self, snapshot_xmin: int, subject_ids: Iterable[str] | None) -> bool:
        """Whether a replica read with this snapshot xmin has every change announced for
        ``subject_ids`` (``None``: for any subject — an unknown serial)."""
        if snapshot_xmin > self.seen_xmin:
            self.seen_xmin = snapshot_xmin
            if len(self._by_subject) > 1000:
                self._forget_before(snapshot_xmin)
        if subject_ids is None:
            needed = self._latest
        else:
            needed = self._floor
            for subject_id in subject_ids:
                entry = self._by_subject.get(subject_id)
                if entry is not None and entry > needed:
                    needed = entry
        if needed[1] < snapshot_xmin:
            return True
        self.stale_reads += 1
        return False

    def _forget_before(self, xmin: int) -> None:
        self._by_subject = {s: e for s, e in self._by_subject.items() if e[1] >= xmin}

    def __len__(self) -> int:
        return len(self._by_subject)

"""Rule-based repair of impossible onset / apex / offset annotations."""
from typing import Iterable, Optional, Tuple

from .errors import AnnotationError

__all__ = ['midpoint_apex', 'key_frame_order_ok', 'KeyFrameRepairer']


def midpoint_apex(onset: int, offset: int) -> int:
    """``onset + (offset - onset) // 2``: the apex convention for sheets without
    one (SMIC-HS, specs/datasets.md section 3) and the repair of a bad apex."""
    return onset + (offset - onset) // 2


def key_frame_order_ok(onset, apex, offset) -> bool:
    """True when all three are known, positive and ``onset <= apex <= offset``."""
    return (None not in (onset, apex, offset) and onset > 0
            and onset <= apex <= offset)


class KeyFrameRepairer:
    """Repair impossible onset/apex/offset triples by rule, never by row index.

    Sheets of every dataset carry a few broken rows (specs/datasets.md: SAMM
    missing/outside apex; CAS(ME)^3 apex < onset, onset > apex, offset 0,
    offset 3460 for 34, onset = apex = 0; CASME II apex ``"/"``). MEB patches
    them by hard-coded row index, which silently breaks on another sheet
    version. The rules below look at the values only, so they fire on whatever
    row carries the defect, and every repair is returned as a message naming
    the row for the caller to log.

    Rules, applied in this order:

    1. **onset** blank/0, or later than both apex and offset (then onset is
       the odd one out, e.g. a typo 3647 for 2647): the first frame of a
       trimmed clip folder, else ``apex - rise`` (at least the first frame on
       disk, or 1).
    2. **offset** blank/0, earlier than onset, or more than ``max_duration``
       frames after onset (typo 3460 for 34): the last frame of a trimmed clip
       folder, else ``apex + fall`` (or ``onset + rise + fall`` without apex).
    3. **apex** blank/placeholder or outside ``[onset, offset]``: by
       ``bad_apex``: ``'midpoint'`` -> ``onset + (offset-onset)//2`` (the
       SMIC convention), ``'drop'`` -> the sample is skipped, ``'error'``.

    ``rise``/``fall`` are the medians of ``apex - onset`` / ``offset - apex``
    over the sheet's valid rows (:meth:`fit`), so repaired clips have a
    typical length for that dataset.

    Args:
        bad_apex (str): ``'midpoint'`` | ``'drop'`` | ``'error'``.
        max_duration (int, optional): longest plausible ``offset - onset`` in
            frames; None disables rule 2's length check.
    """
    APEX_POLICIES = ('midpoint', 'drop', 'error')

    def __init__(self, bad_apex: str = 'midpoint', max_duration: Optional[int] = None):
        if bad_apex not in self.APEX_POLICIES:
            raise ValueError(f'bad_apex must be one of {self.APEX_POLICIES}, got {bad_apex!r}')
        self.bad_apex = bad_apex
        self.max_duration = max_duration
        self.rise = 1
        self.fall = 1

    def fit(self, triples: Iterable[Tuple[Optional[int], Optional[int], Optional[int]]]):
        """Learn the typical rise/fall from the rows that need no repair."""
        rises, falls = [], []
        for on, ap, off in triples:
            if key_frame_order_ok(on, ap, off) and (
                    self.max_duration is None or off - on <= self.max_duration):
                rises.append(ap - on)
                falls.append(off - ap)
        if rises:
            rises.sort()
            falls.sort()
            self.rise = max(1, rises[len(rises) // 2])
            self.fall = max(1, falls[len(falls) // 2])
        return self

    def repair(self, onset, apex, offset, where: str,
               disk_range: Optional[Tuple[int, int]] = None,
               trimmed: bool = False):
        """Return ``(onset, apex, offset, notes)``; apex None means "drop".

        Args:
            disk_range: ``(first, last)`` frame number found in the clip folder.
            trimmed: the folder holds exactly the clip (CASME II, SAMM), so its
                first/last file *is* the onset/offset.

        Raises:
            AnnotationError: ``bad_apex='error'`` and the apex is unusable, or
                nothing is left to repair from.
        """
        notes = []
        first = disk_range[0] if disk_range else 1
        last = disk_range[1] if disk_range else None
        apex_ok = apex is not None and apex > 0

        # 1. onset
        onset_bad = onset is None or onset <= 0
        if not onset_bad and apex_ok and onset > apex and (offset is None or onset > offset):
            onset_bad = True
        if onset_bad:
            if trimmed and disk_range:
                new, why = first, 'first frame of the clip folder'
            elif apex_ok and (offset is None or apex <= offset or offset <= 0):
                new, why = max(first, apex - self.rise), f'apex - typical rise {self.rise}'
            else:
                new, why = first, 'first frame on disk'
            notes.append(f'{where}: onset {onset} is impossible '
                         f'(apex {apex}, offset {offset}) -> {new} ({why})')
            onset = new

        # 2. offset
        offset_bad = offset is None or offset <= 0 or offset < onset
        too_long = (not offset_bad and self.max_duration is not None
                    and offset - onset > self.max_duration)
        if offset_bad or too_long:
            if trimmed and last is not None and last >= onset:
                new, why = last, 'last frame of the clip folder'
            elif apex_ok and apex >= onset and (
                    self.max_duration is None or apex - onset <= self.max_duration):
                new, why = apex + self.fall, f'apex + typical fall {self.fall}'
            else:
                new, why = onset + self.rise + self.fall, 'onset + typical duration'
            reason = (f'more than max_duration={self.max_duration} frames after onset'
                      if too_long else 'impossible')
            notes.append(f'{where}: offset {offset} is {reason} (onset {onset}) -> {new} ({why})')
            offset = new

        # 3. apex
        if apex is None or not onset <= apex <= offset:
            problem = ('missing' if apex is None else
                       f'{apex} outside [onset {onset}, offset {offset}]')
            if self.bad_apex == 'error':
                raise AnnotationError(
                    f'{where}: apex {problem}. Fix the sheet, exclude the clip, or '
                    "set bad_apex='midpoint' / 'drop'.")
            if self.bad_apex == 'drop':
                notes.append(f'{where}: apex {problem} -> sample dropped (bad_apex=drop)')
                return onset, None, offset, notes
            new = midpoint_apex(onset, offset)
            notes.append(f'{where}: apex {problem} -> {new} (midpoint, bad_apex=midpoint)')
            apex = new
        return onset, apex, offset, notes

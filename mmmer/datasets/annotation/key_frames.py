"""Rule-based repair of impossible onset / apex / offset annotations."""
from collections import Counter
from typing import Iterable, Optional, Tuple

from .errors import AnnotationError

__all__ = ['midpoint_apex', 'key_frame_order_ok', 'KeyFrameRepairer']


def midpoint_apex(onset: int, offset: int) -> int:
    """``onset + (offset - onset) // 2``: the apex convention for sheets without
    one (SMIC-HS) and the repair of a bad apex."""
    return onset + (offset - onset) // 2


def key_frame_order_ok(onset, apex, offset) -> bool:
    """True when all three are known, positive and ``onset <= apex <= offset``."""
    return (None not in (onset, apex, offset) and onset > 0
            and onset <= apex <= offset)


class KeyFrameRepairer:
    """Repair impossible onset/apex/offset triples by rule, never by row index.

    Sheets of every dataset carry a few broken rows (SAMM
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
        bad_apex (str): ``'midpoint'`` | ``'drop'`` | ``'error'`` for a
            missing apex (and, unless ``apex_out_of_range`` is given, for one
            outside ``[onset, offset]``).
        apex_out_of_range (str, optional): the policy for a numeric apex
            outside ``[onset, offset]``; None: ``bad_apex``.
        bad_bounds (str): ``'repair'`` applies rules 1 and 2; ``'error'``
            raises on an impossible onset/offset instead (CASME II, whose
            sheet has none).
        max_duration (int, optional): longest plausible ``offset - onset`` in
            frames; None disables rule 2's length check.

    ``counts`` (Counter) tallies the fixes: ``onset_repaired``,
    ``offset_repaired``, ``apex_midpoint``, ``apex_dropped``.
    """
    APEX_POLICIES = ('midpoint', 'drop', 'error')
    BOUNDS_POLICIES = ('repair', 'error')

    def __init__(self, bad_apex: str = 'midpoint', max_duration: Optional[int] = None,
                 apex_out_of_range: Optional[str] = None, bad_bounds: str = 'repair'):
        for name, value, allowed in (('bad_apex', bad_apex, self.APEX_POLICIES),
                                     ('apex_out_of_range', apex_out_of_range or bad_apex,
                                      self.APEX_POLICIES),
                                     ('bad_bounds', bad_bounds, self.BOUNDS_POLICIES)):
            if value not in allowed:
                raise ValueError(f'{name} must be one of {allowed}, got {value!r}')
        self.bad_apex = bad_apex
        self.apex_out_of_range = apex_out_of_range or bad_apex
        self.bad_bounds = bad_bounds
        self.max_duration = max_duration
        self.rise = 1
        self.fall = 1
        self.counts: Counter = Counter()

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
        if self.bad_bounds == 'error' and (onset_bad or offset is None or offset < onset):
            problem = (f'onset {onset} is after offset {offset}'
                       if None not in (onset, offset) and onset > offset
                       else f'onset {onset} / offset {offset} impossible')
            raise AnnotationError(f'{where}: {problem}; fix the sheet or exclude the clip.')
        if onset_bad:
            self.counts['onset_repaired'] += 1
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
        if (offset_bad or too_long) and self.bad_bounds == 'error':
            raise AnnotationError(f'{where}: offset {offset} is impossible (onset '
                                  f'{onset}); fix the sheet or exclude the clip.')
        if offset_bad or too_long:
            self.counts['offset_repaired'] += 1
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
            problem = ('no apex frame' if apex is None else
                       f'apex {apex} outside [onset {onset}, offset {offset}]')
            policy = self.bad_apex if apex is None else self.apex_out_of_range
            option = 'bad_apex' if apex is None else 'apex_out_of_range'
            if policy == 'error':
                raise AnnotationError(
                    f'{where}: {problem}. Fix the sheet, exclude the clip, or '
                    f"set {option}='midpoint' / 'drop'.")
            if policy == 'drop':
                self.counts['apex_dropped'] += 1
                notes.append(f'{where}: {problem} -> sample dropped ({option}=drop)')
                return onset, None, offset, notes
            new = midpoint_apex(onset, offset)
            self.counts['apex_midpoint'] += 1
            notes.append(f'{where}: {problem} -> apex set to {new} (midpoint, '
                         f'{option}=midpoint)')
            apex = new
        return onset, apex, offset, notes

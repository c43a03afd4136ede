"""FACS-coding sheet rows -> :class:`~mmmer.datasets.MEDataset` sample dicts."""
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from .frames import FrameFolderCache, fill_frames, raise_or_log_missing
from .key_frames import KeyFrameRepairer
from .subjects import normalize_subject
from .table import cell_text, check_emotion, parse_frame_value, read_annotation_table

__all__ = ['ClipRow', 'read_facs_clip_rows', 'build_clip_samples']


@dataclass
class ClipRow:
    """One annotation row, cells already parsed (before any repair)."""
    where: str                 # 'file.xlsx row 15', for messages
    subject: str               # canonical, un-namespaced subject id
    clip: str                  # clip id (unique per subject within a dataset)
    onset: Optional[int]
    apex: Optional[int]
    offset: Optional[int]
    emotion: str               # raw emotion string of the sheet
    action_units: str = ''
    extra: Optional[dict] = None


def read_facs_clip_rows(ann_file: str, sheet_name, dataset: str,
                        emotions: Iterable[str], layout_hint: str,
                        frame_columns: Sequence[Sequence[str]] = (
                            ('Onset Frame', 'Onset'), ('Apex Frame', 'Apex'),
                            ('Offset Frame', 'Offset'))) -> List[ClipRow]:
    """Rows of a FACS-coding sheet in the SAMM / MMEW layout, one per clip.

    The sheet has a header row starting at ``Subject`` and the columns
    Subject, Filename, onset / apex / offset frame (``frame_columns``: the
    aliases of each, as the dataset's sheet spells them), optional Action
    Units and Estimated Emotion. Rows with an empty Filename (notes below the
    table) are skipped; key frames may be missing (the dataset's
    :class:`KeyFrameRepairer` decides later); an emotion outside ``emotions``
    raises :class:`AnnotationError` naming the row.
    """
    table = read_annotation_table(ann_file, header_cell='Subject',
                                  sheet_name=sheet_name, layout_hint=layout_hint)
    c_sub = table.column_index('Subject')
    c_file = table.column_index('Filename')
    c_on, c_ap, c_off = (table.column_index(*aliases) for aliases in frame_columns)
    c_au = table.column_index('Action Units', 'AU', required=False)
    c_emo = table.column_index('Estimated Emotion', 'Emotion')
    names = table.columns

    def frame(cells, col, where):
        return parse_frame_value(cells[col], where, names[col], allow_missing=True)

    rows = []
    for i, cells in enumerate(table.rows):
        where = table.where(i)
        clip = cell_text(cells[c_file])
        if not clip:
            continue  # trailing notes below the table
        subject = normalize_subject(dataset, cells[c_sub])
        emotion = check_emotion(cells[c_emo], emotions, where, names[c_emo])
        rows.append(ClipRow(
            where=where, subject=subject, clip=clip,
            onset=frame(cells, c_on, where), apex=frame(cells, c_ap, where),
            offset=frame(cells, c_off, where), emotion=emotion,
            action_units=cell_text(cells[c_au]) if c_au is not None else ''))
    return rows


def build_clip_samples(dataset,
                       rows: Sequence[ClipRow],
                       locate_dir,
                       trimmed: bool,
                       repairer: KeyFrameRepairer,
                       missing_clips: str,
                       layout_hint: str,
                       exclude: Optional[Dict[Tuple[str, str], bool]] = None,
                       logger=None) -> List[dict]:
    """Turn parsed rows into MEDataset sample dicts.

    Per row: drop ``exclude``d clips; map the emotion with
    ``dataset.label_of`` (rows outside the label set are dropped and counted
    there); find the frame folder with ``locate_dir(row)`` (None = missing);
    repair the key frames by rule (``repairer``, each repair logged with its
    row); keep the frames onset..offset.
    """
    from mmengine.logging import MMLogger
    logger = logger or MMLogger.get_current_instance()
    name = type(dataset).__name__
    ds = dataset.DATASET_NAME
    exclude = exclude if exclude is not None else {}
    repairer.fit((r.onset, r.apex, r.offset) for r in rows)
    listing = FrameFolderCache()
    samples, missing = [], []
    for row in rows:
        key = (row.subject, row.clip)
        if key in exclude:
            exclude[key] = True
            logger.info(f'{name}: {row.where} ({row.subject}/{row.clip}) excluded by exclude_clips')
            continue
        label = dataset.label_of(row.emotion)
        if label is None:
            continue
        clip_dir = locate_dir(row)
        frames = listing(clip_dir) if clip_dir else []
        disk_range = (frames[0][0], frames[-1][0]) if frames else None
        onset, apex, offset, notes = repairer.repair(
            row.onset, row.apex, row.offset, f'{row.where} ({row.subject}/{row.clip})',
            disk_range=disk_range, trimmed=trimmed)
        for note in notes:
            logger.warning(f'{name}: repaired {note}')
        if apex is None:
            dataset.excluded_counts['<bad apex>'] += 1
            continue
        sample = dict(dataset=ds, subject=f'{ds}_{row.subject}', clip=row.clip,
                      onset=onset, apex=apex, offset=offset, emotion=row.emotion,
                      gt_label=label, action_units=row.action_units,
                      annotation_row=row.where)
        if notes:
            sample['repairs'] = notes
        if row.extra:
            sample.update(row.extra)
        fill_frames(sample, clip_dir, frames, trimmed)
        if clip_dir is None:
            missing.append(f'{row.where}: {row.subject}/{row.clip}')
            if missing_clips == 'skip':
                continue
        samples.append(sample)
    raise_or_log_missing(name, missing, missing_clips, layout_hint, logger)
    unused = [k for k, seen in exclude.items() if not seen]
    if unused:
        logger.warning(f'{name}: exclude_clips entries matched no row: {unused}')
    return samples

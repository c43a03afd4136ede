"""demo/clip_demo.py: argument checks, a frames folder with frame numbers,
the JSON line, and the picture record (untrained EDMDBN twin: fast)."""
import json
import os.path as osp

import pytest

from tests.fixtures.repo import ROOT, load_script
from tests.test_apis.synthetic_clips import make_clips

EDMDBN = osp.join(ROOT, 'configs', 'edmdbn', 'swin_aa_synthetic.py')


def demo():
    return load_script('demo/clip_demo.py')


@pytest.mark.parametrize('argv, message', [
    ([], 'exactly one input'),
    (['--onset', 'a.jpg', '--apex', 'b.jpg', '--video', 'v.avi'], 'exactly one input'),
    (['--onset', 'a.jpg'], 'both --onset and --apex'),
    (['--video', 'v.avi'], 'need --onset-frame'),
])
def test_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit):
        demo().parse_args([EDMDBN, 'none', *argv])
    assert message in capsys.readouterr().err


def test_frames_folder_json_and_picture(tmp_path, capsys):
    c = make_clips(str(tmp_path / 'data'), num_subjects=1, clips_per_class=1, seed=2)[0]
    pred = demo().main([EDMDBN, 'none', '--frames-dir', c['folder'], '--onset-frame',
                        str(c['onset']), '--apex-frame', str(c['apex']), '--offset-frame',
                        str(c['offset']), '--out-dir', str(tmp_path / 'out'), '--json'])
    lines = capsys.readouterr().out.strip().splitlines()
    out = json.loads(lines[-1])
    assert out['pred_class'] == pred['pred_class'] and out['pred_class'] in out['scores']
    assert abs(sum(out['scores'].values()) - 1) < 1e-4
    assert out['key_frames'] == dict(onset=c['onset'], apex=c['apex'], offset=c['offset'])
    assert osp.isfile(out['picture']) and out['picture'].startswith(str(tmp_path / 'out'))
    assert out['panels'][0] == 'aligned face + landmarks' and len(out['panels']) == 6
    assert f"prediction: {out['pred_class']} (label {out['pred_label']})" in lines
    assert any('random weights' in w for w in out['warnings'])

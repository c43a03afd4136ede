"""Plot helpers of mmmer.visualization."""
import matplotlib.image as mpimg
import numpy as np
import pytest

from mmmer.visualization import plot_confusion_matrix, plot_curves, row_normalize


def test_row_normalize_keeps_empty_rows_zero():
    cm = np.array([[3, 1, 0], [0, 0, 0], [1, 1, 2]])
    norm = row_normalize(cm)
    np.testing.assert_allclose(norm, [[0.75, 0.25, 0], [0, 0, 0], [0.25, 0.25, 0.5]])


def test_plot_confusion_matrix_png(tmp_path):
    cm = np.array([[5, 1], [2, 7]])
    out = tmp_path / 'sub' / 'cm.png'
    fig = plot_confusion_matrix(cm, ['neg', 'pos'], str(out), title='t')
    assert len(fig.axes) == 4  # two matrices + two colour bars
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ['5', '1', '2', '7']
    assert [t.get_text() for t in fig.axes[1].texts] == ['0.83', '0.17', '0.22', '0.78']
    assert mpimg.imread(str(out)).ndim == 3
    with pytest.raises(ValueError, match='square'):
        plot_confusion_matrix(np.zeros((2, 3)))
    with pytest.raises(ValueError, match='class names'):
        plot_confusion_matrix(cm, ['a'])


def test_plot_curves_one_line_per_run(tmp_path):
    runs = dict(a=[dict(step=1, loss=1.0), dict(step=2, loss=0.5)],
                b=[dict(step=1, loss=2.0)])
    fig = plot_curves(runs, ['loss'], str(tmp_path / 'c.png'))
    lines = fig.axes[0].get_lines()
    assert [l.get_label() for l in lines] == ['a', 'b']
    np.testing.assert_array_equal(lines[0].get_ydata(), [1.0, 0.5])
    assert (tmp_path / 'c.png').is_file()

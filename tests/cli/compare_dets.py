#!/usr/bin/python3
"""compare_dets.py GOT.jsonl GOLDEN.json [IMAGE_SUBSTRING]: the detections `yolo detect --json`
wrote for one image against a reference detections file (../shared/golden/dets_*.json).
Pass: same count, each reference detection matched one-to-one by a detection of the same class
with box IoU >= 0.99 and |conf difference| <= 0.005 (matched by box, not by list position:
equal confidences may come in either order). Prints the worst IoU and conf difference."""
import json
import sys


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def main():
    got_path, ref_path = sys.argv[1], sys.argv[2]
    key = sys.argv[3] if len(sys.argv) > 3 else ''
    lines = [json.loads(l) for l in open(got_path) if l.strip()]
    lines = [l for l in lines if key in l['path']]
    if len(lines) != 1:
        print(f'{got_path}: {len(lines)} lines for {key!r}, want 1')
        return 1
    got = lines[0]['detections']
    ref = json.load(open(ref_path))
    if len(got) != len(ref):
        print(f'{got_path}: {len(got)} detections, reference {len(ref)}')
        return 1
    used = set()
    worst_iou, worst_conf = 1.0, 0.0
    for r in ref:
        best, best_j = -1.0, -1
        for j, g in enumerate(got):
            if j in used or g['cls'] != r['cls'] or g['name'] != r['name']:
                continue
            v = iou(g['box'], r['box'])
            if v > best:
                best, best_j = v, j
        if best_j < 0 or best < 0.99 or abs(got[best_j]['conf'] - r['conf']) > 0.005:
            print(f'{got_path}: reference {r} unmatched (best IoU {best:.4f})')
            return 1
        used.add(best_j)
        worst_iou = min(worst_iou, best)
        worst_conf = max(worst_conf, abs(got[best_j]['conf'] - r['conf']))
    print(f'{key or got_path}: {len(ref)} detections match, worst IoU {worst_iou:.6f}, '
          f'worst conf diff {worst_conf:.2g}')
    return 0


sys.exit(main())

#!/usr/bin/python3
"""reference_val.py: the reference pipeline's detections for a folder of images, written as the
JSON Lines `yolo detect --json` writes, so `yolo val --predictions` can score them.

usage: reference_val.py MODEL.onnx IMAGES --out FILE.jsonl [--shared DIR] [--ort DIR]
                        [--conf 0.001] [--iou 0.7] [--max-det 300] [--limit N]

  IMAGES   a folder (its images, recursively, sorted by path) or one image file.
  --limit  only the first N images.
  --shared the shared folder holding tools/reference.py (default: $SHARED, else ../shared
           relative to the repository).
  --ort    the onnxruntime-node install (tools/setup-ort.sh prints it; default /tmp/yolo-ort).

Every image goes through reference.py's own `detect` command (cmd_detect: LetterBox, ONNX
Runtime via tools/ort_run.js, decode, NMS, scale_boxes) in this one Python process, which
saves the interpreter start and imports per image; the detections are what
`reference.py detect MODEL IMAGE --conf C --iou I` prints. Defaults are the validation ones
(conf 0.001, iou 0.7, max_det 300). Each line: {"path": absolute path, "width", "height",
"detections": [{"cls", "name", "conf", "box": [x1, y1, x2, y2]}]}, floats in shortest
round-trip float32 form. The file is written under a temp name, then renamed.
"""
import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time

IMAGE_EXT = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')


def load_reference(shared):
    path = os.path.join(shared, 'tools', 'reference.py')
    if not os.path.isfile(path):
        sys.exit(f'reference_val.py: {path} not found (pass --shared or set SHARED)')
    sys.dont_write_bytecode = True          # the shared folder is read-only: no __pycache__
    spec = importlib.util.spec_from_file_location('reference', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def list_images(src):
    if os.path.isfile(src):
        return [os.path.abspath(src)]
    found = []
    for root, dirs, files in os.walk(src, followlinks=True):
        dirs[:] = [d for d in dirs if not d.startswith('.')]
        found += [os.path.join(root, f) for f in files
                  if not f.startswith('.') and f.lower().endswith(IMAGE_EXT)]
    return sorted(os.path.abspath(p) for p in found)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(prog='reference_val.py', description=__doc__.split('\n')[0])
    ap.add_argument('model')
    ap.add_argument('images')
    ap.add_argument('--out', required=True)
    ap.add_argument('--shared', default=os.environ.get('SHARED') or os.path.join(here, '..', '..', 'shared'))
    ap.add_argument('--ort', default=os.environ.get('YOLO_ORT', '/tmp/yolo-ort'))
    ap.add_argument('--conf', type=float, default=0.001)
    ap.add_argument('--iou', type=float, default=0.7)
    ap.add_argument('--max-det', type=int, default=300)
    ap.add_argument('--limit', type=int, default=0)
    a = ap.parse_args()

    ref = load_reference(a.shared)
    images = list_images(a.images)
    if a.limit > 0:
        images = images[:a.limit]
    if not images:
        sys.exit(f'reference_val.py: no images in {a.images}')

    work = tempfile.mkdtemp(prefix='yolo-refval-')
    tmp_out = a.out + '.tmp'
    t0 = time.time()
    try:
        with open(tmp_out, 'w') as out:
            for i, path in enumerate(images):
                det_file = os.path.join(work, 'dets.json')
                args = argparse.Namespace(model=a.model, image=path, ort=a.ort, imgsz=None, threads=1,
                                          keep=None, format='auto', conf=a.conf, iou=a.iou,
                                          max_det=a.max_det, agnostic=False, out=det_file)
                try:
                    ref.cmd_detect(args)
                except ref.Error as e:
                    sys.exit(f'reference_val.py: {path}: {e}')
                with open(det_file) as f:
                    dets = json.load(f)
                h, w = ref.read_image(path).shape[:2]
                line = {'path': path, 'width': int(w), 'height': int(h), 'detections': dets}
                out.write(json.dumps(line) + '\n')
                if (i + 1) % 16 == 0 or i + 1 == len(images):
                    print(f'reference_val.py: {os.path.basename(a.model)}: {i + 1}/{len(images)} images, '
                          f'{time.time() - t0:.0f} s', file=sys.stderr)
        os.replace(tmp_out, a.out)
    finally:
        if os.path.exists(tmp_out):
            os.unlink(tmp_out)
        for f in os.listdir(work):
            os.unlink(os.path.join(work, f))
        os.rmdir(work)


if __name__ == '__main__':
    main()

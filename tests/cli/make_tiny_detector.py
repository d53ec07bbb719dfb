# make_tiny_detector.py OUT.onnx: the tests' tiny detector: [1,3,32,32] -> boxes on a 4x4 grid +
# 3 sigmoid class scores -> [1,7,16] (v8 layout), names red/green/blue. Fast enough for
# any frame rate; used where the pipeline, not the model, is under test.
import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
rng = np.random.default_rng(7)
wb = rng.uniform(-0.3, 0.3, (4, 3, 8, 8)).astype(np.float32)
bb = np.array([0, 0, 10, 10], np.float32)
gx, gy = np.meshgrid(np.arange(4) * 8 + 4, np.arange(4) * 8 + 4)
grid = np.zeros((1, 4, 4, 4), np.float32); grid[0, 0] = gx; grid[0, 1] = gy
wc = rng.uniform(-0.3, 0.3, (3, 3, 8, 8)).astype(np.float32)
bc = np.array([-1.5, -1.5, -2.0], np.float32)
nodes = [
    helper.make_node('Conv', ['images', 'wb', 'bb'], ['box0'], kernel_shape=[8, 8], strides=[8, 8]),
    helper.make_node('Add', ['box0', 'grid'], ['box']),
    helper.make_node('Conv', ['images', 'wc', 'bc'], ['logit'], kernel_shape=[8, 8], strides=[8, 8]),
    helper.make_node('Sigmoid', ['logit'], ['cls']),
    helper.make_node('Concat', ['box', 'cls'], ['cat'], axis=1),
    helper.make_node('Reshape', ['cat', 'shape'], ['output0']),
]
inits = [numpy_helper.from_array(a, n) for a, n in [(wb, 'wb'), (bb, 'bb'), (grid, 'grid'), (wc, 'wc'),
         (bc, 'bc'), (np.array([1, 7, 16], np.int64), 'shape')]]
g = helper.make_graph(nodes, 'tiny', [helper.make_tensor_value_info('images', TensorProto.FLOAT, [1, 3, 32, 32])],
                      [helper.make_tensor_value_info('output0', TensorProto.FLOAT, [1, 7, 16])], inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)], producer_name='test_video_cli')
m.ir_version = 8
for k, v in [('names', "{0: 'red', 1: 'green', 2: 'blue'}"), ('stride', '8')]:
    p = m.metadata_props.add(); p.key = k; p.value = v
onnx.save(m, sys.argv[1])

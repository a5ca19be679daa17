"""PyTorch reference for `npm run bench`: MLP training (and inference) samples/s on synthetic data.

Prints one JSON object. Thread setting: OpenBLAS threads come from the environment (the bench
sets OPENBLAS_NUM_THREADS); torch's own pool is set by --torch-threads.
"""
import argparse, json, statistics, time
import torch

p = argparse.ArgumentParser()
p.add_argument("--sizes", default="784,300,100,10")
p.add_argument("--batch", type=int, default=128)
p.add_argument("--steps", type=int, default=50)
p.add_argument("--reps", type=int, default=5)
p.add_argument("--torch-threads", type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.torch_threads)
torch.manual_seed(0)
sizes = [int(s) for s in a.sizes.split(",")]
layers = []
for i in range(len(sizes) - 1):
    layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
    if i < len(sizes) - 2:
        layers.append(torch.nn.ReLU())
net = torch.nn.Sequential(*layers)
opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
x = torch.rand(a.batch, sizes[0])
y = torch.randint(0, sizes[-1], (a.batch,))
loss_fn = torch.nn.CrossEntropyLoss()

def train_rate():
    start = time.perf_counter()
    for _ in range(a.steps):
        opt.zero_grad()
        loss_fn(net(x), y).backward()
        opt.step()
    return a.steps * a.batch / (time.perf_counter() - start)

def infer_rate():
    with torch.no_grad():
        start = time.perf_counter()
        for _ in range(a.steps):
            net(x)
        return a.steps * a.batch / (time.perf_counter() - start)

train_rate()  # warm-up
train = statistics.median(train_rate() for _ in range(a.reps))
infer = statistics.median(infer_rate() for _ in range(a.reps))
print(json.dumps({"torch": torch.__version__, "trainSamplesPerSec": train, "inferSamplesPerSec": infer}))

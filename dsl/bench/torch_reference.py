"""PyTorch reference for `npm run bench`: training (and inference) samples/s of the benchmark's nets
on synthetic data, SGD with momentum, as sparselab's engine runs them.

  --net mlp --sizes 784,300,100,10      LeNet-300-100
  --net conv2 --width 0.25              Conv-2 on 28x28x1: two 3x3 "same" convs, 2x2 max-pool,
                                        three dense layers (64*w, 64*w, pool, 256*w, 256*w, 10)

Prints one JSON object. Thread setting: OpenBLAS threads come from the environment (the bench
sets OPENBLAS_NUM_THREADS); torch's own pool is set by --torch-threads.
"""
import argparse, json, statistics, time
import torch

p = argparse.ArgumentParser()
p.add_argument("--net", choices=["mlp", "conv2"], default="mlp")
p.add_argument("--sizes", default="784,300,100,10")
p.add_argument("--width", type=float, default=1.0)
p.add_argument("--batch", type=int, default=128)
p.add_argument("--steps", type=int, default=50)
p.add_argument("--reps", type=int, default=5)
p.add_argument("--torch-threads", type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.torch_threads)
torch.manual_seed(0)


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers), (sizes[0],), sizes[-1]


def conv2(width):
    c, d = round(64 * width), round(256 * width)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, c, 3, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(c, c, 3, padding=1), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(c * 14 * 14, d), torch.nn.ReLU(),
        torch.nn.Linear(d, d), torch.nn.ReLU(),
        torch.nn.Linear(d, 10))
    return net, (1, 28, 28), 10


net, shape, classes = mlp([int(s) for s in a.sizes.split(",")]) if a.net == "mlp" else conv2(a.width)
opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
x = torch.rand(a.batch, *shape)
y = torch.randint(0, classes, (a.batch,))
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

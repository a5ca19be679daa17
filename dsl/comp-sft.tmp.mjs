import * as sl from "./dist/index.js";
await sl.useBackend();
const pre = await sl.finetune.pretrainedVit();
const STEPS = 200;
const acc = (net, t) => sl.finetune.evaluateTask((x) => net.apply(x), t, t.test, 1000).accuracy;
for (const [domain, l1, lr] of [["inverted", 0, 1e-2], ["inverted", 1e-3, 1e-2], ["inverted", 0, 3e-3], ["rotated", 0, 1e-2]]) {
  const tasks = await sl.finetune.fashionTasks({ source: "auto", domain, testPerClass: 200 });
  const run = (task, head) => pre.finetune({ task, steps: STEPS, optimizer: sl.adam(lr), seed: 1, head }).ltsft({ budget: 1024, l1 }).run();
  const t = await run(tasks.newClasses, "train");
  const d = await run(tasks.shifted, "freeze");
  const line = [["task", t.delta], ["domain", d.delta], ["both", sl.compose(d.delta, t.delta)]].map(([n, delta]) => {
    const net = delta.applyTo(pre); const r = `${n}: transfer ${acc(net, tasks.transfer).toFixed(3)} new ${acc(net, tasks.newClasses).toFixed(3)} shifted ${acc(net, tasks.shifted).toFixed(3)}`; net.dispose(); return r; });
  console.log(domain, "l1", l1, "lr", lr, "pre shifted", acc(pre, tasks.shifted).toFixed(3), "|", line.join(" | "));
}

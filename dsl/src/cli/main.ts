#!/usr/bin/env node
import { createRequire } from "node:module";
import { densityCommand } from "./density.js";
import { finetuneCommand } from "./finetune.js";
import { sweepCommand } from "./sweep.js";
import { trainCommand } from "./train.js";

const USAGE = `usage: sparselab <command> [options]
  density --net mlp:784-300-100-10 --dist erk --sparsity 0.9 [--json]   per-layer kept counts
  train RECIPE.json [--json]                                             run a recipe
  train --net N --dist D --sparsity S --criterion C --epochs E ... [--print-recipe] [--json]
        [--regrow set|rigl | --prune gmp|granet] [--drop F] [--every N] [--until U] [--init-sparsity S] [--nm 2:4]
  train --lottery ROUNDS --rate R [--rewind STEP] [--control reinit|random-mask]… [--scope global|layer]
        [--layer-rate NAME=R]… [--eval-every N] [--runs DIR] [--json]     lottery tickets (IMP), resumable
  train --soup INGREDIENTS --phases P --merge uniform|greedy --sparsity GOAL [--vary seed|lr|weight-decay|epochs]
        [--values a,b,…] [--pretrain EPOCHS] [--no-baseline] [--runs DIR] [--json]   sparse model soups, resumable
  finetune RECIPE.json [--base CKPT.slckpt] [--delta OUT.sldelta] [--json]  fine-tune a pretrained net (default: the shipped ViT)
  finetune --method full|lora|s2ft|sara|ltsft [--config JSON] [--task new-classes|shifted|transfer|source] [--domain inverted|rotated]
        [--data auto|full|embedded] [--train-per-class N] [--test-per-class N] [--steps N] [--batch-size B] [--lr LR] [--seed S]
        [--print-recipe] [--delta OUT] [--json]
  sweep RECIPES.json [--runs DIR] [--workers N] [--retries N] [--json]  run a JSON array of recipes on a worker pool, resumable
  run NOTEBOOK… [--fast] [--param k=v]… [--out DIR] [--timeout S]       (needs @sparselab/kernel)
  kernel install [--prefix P] [--user]                                   (needs @sparselab/kernel)`;

/** Jupyter commands live in @sparselab/kernel (which depends on us, not the other way round). */
async function kernelCommand(argv: string[]): Promise<number> {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve("@sparselab/kernel/cli");
  } catch {
    throw new Error(`sparselab ${argv[0]}: this command needs the @sparselab/kernel package (npm install @sparselab/kernel)`);
  }
  const { runCli } = (await import(entry)) as { runCli: (argv: string[]) => Promise<number> };
  return runCli(argv);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "density":
      process.stdout.write(densityCommand(rest) + "\n");
      return 0;
    case "train":
      process.stdout.write((await trainCommand(rest, (line) => process.stderr.write(line + "\n"))) + "\n");
      return 0;
    case "finetune":
      process.stdout.write((await finetuneCommand(rest, (line) => process.stderr.write(line + "\n"))) + "\n");
      return 0;
    case "sweep": {
      const { output, failed } = await sweepCommand(rest, (line) => process.stderr.write(line + "\n"));
      process.stdout.write(output + "\n");
      return failed > 0 ? 1 : 0;
    }
    case "run":
    case "kernel":
      return kernelCommand(argv);
    case undefined:
    case "help":
    case "--help":
      process.stdout.write(USAGE + "\n");
      return 0;
    default:
      process.stderr.write(`sparselab(command): expected one of density | train | finetune | sweep | run | kernel, received ${JSON.stringify(command)}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`${error.message.split("\n")[0]}\n`);
    process.exit(2);
  },
);

import { startKernel } from "./start.js";

/** Entry point named in kernel.json: `node main.js --config-path <connection file>`. */
function connectionFileArg(args: string[]): string {
  const [flag, file, ...rest] = args;
  if (flag !== "--config-path" || !file || rest.length > 0) {
    throw new Error(`sparselab kernel(argv): expected --config-path CONNECTION_FILE, received ${JSON.stringify(args)}`);
  }
  return file;
}

try {
  await startKernel(connectionFileArg(process.argv.slice(2)));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(2);
}

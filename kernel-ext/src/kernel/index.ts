export { installKernel, kernelEntry, userJupyterDataDir, type InstallKernelOptions } from "./install.js";
export { startKernel } from "./start.js";

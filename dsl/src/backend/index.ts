export { useBackend, activeBackend, BACKENDS, type BackendName, type BackendInfo } from "./select.js";

import { createConverter, type Converter, type Diagnostic } from "tslab/dist/converter.js";
import type { ConverterSet } from "tslab/dist/executor.js";
import { expandShorthandProperties } from "./shorthand.js";
import { guardFileWatchers } from "./watch-guard.js";

/** What converting the running cell reported; tslab's executor keeps this to itself. */
export interface Conversion {
  diagnostics: Diagnostic[];
  /** The exports slot holding the cell's last expression, when it ends in one. */
  lastExpressionVar?: string;
}

/**
 * tslab's converters in TypeScript mode (tslab builds each lazily: the language service costs
 * about a second), with the node converter observed so the kernel can tell a compile error
 * from a runtime error and find a `null`/`undefined` last value the executor skips.
 */
export class ObservedConverters implements ConverterSet {
  #node: Converter | undefined;
  #browser: Converter | undefined;
  /** The node conversion of the cell being executed, if it got that far. */
  lastConversion: Conversion | undefined;

  /** Forgets the previous cell's conversion: module and browser cells convert nothing. */
  beginCell(): void {
    this.lastConversion = undefined;
  }

  get node(): Converter {
    if (!this.#node) {
      guardFileWatchers();
      const converter = createConverter({ isJS: false, isBrowser: false });
      const convert = converter.convert.bind(converter);
      converter.convert = (prevDecl, src) => {
        const result = convert(prevDecl, expandShorthandProperties(src));
        this.lastConversion = result;
        return result;
      };
      this.#node = converter;
    }
    return this.#node;
  }

  get browser(): Converter {
    this.#browser ??= createConverter({ isJS: false, isBrowser: true });
    return this.#browser;
  }

  close(): void {
    this.#node?.close();
    this.#browser?.close();
  }
}

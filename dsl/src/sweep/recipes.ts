import { argError, SparselabError } from "../errors.js";
import { validateRecipe, type Recipe } from "../io/recipe.js";
import { canonicalJson } from "../io/run-dir.js";

/**
 * A sweep's recipes, validated before any run starts: an array of distinct training recipes.
 * Errors name the recipe's index, e.g. `sweep(recipes[2]): plan(recipe.train.epochs): expected …`.
 */
export function checkSweepRecipes(value: unknown, call: string, arg: string): Recipe[] {
  if (!Array.isArray(value)) throw argError(call, arg, "an array of training recipes", value);
  const seen = new Map<string, number>();
  return value.map((item: unknown, index) => {
    const name = `${arg}[${index}]`;
    let recipe: Recipe;
    try {
      recipe = validateRecipe(item, "plan");
    } catch (error) {
      throw new SparselabError(`${call}(${name}): ${(error as Error).message}`, { cause: error });
    }
    if (recipe.lottery || recipe.soup) {
      const section = recipe.lottery ? "lottery" : "soup";
      throw argError(call, `${name}.${section}`, "a training recipe (lottery and soup recipes run through sl.experiment(recipe), resumable on their own)", recipe[section]);
    }
    // A repeat would only compute the same result again (runs are deterministic per seed).
    const text = canonicalJson(recipe);
    const first = seen.get(text);
    if (first !== undefined) throw argError(call, name, `a recipe not already in the sweep (it repeats ${arg}[${first}])`, item);
    seen.set(text, index);
    return recipe;
  });
}

/** The Storage buckets of jobs: input images (`inputs`, `<owner>/uploads/<upload id>`) and outputs (`outputs`). */

export const INPUTS_BUCKET = "inputs";
export const OUTPUTS_BUCKET = "outputs";

/** The object path of `owner`'s upload `id` in the inputs bucket (what `upload:<id>` in params refers to). */
export function uploadPath(owner: string, id: string): string {
  return `${owner}/uploads/${id}`;
}

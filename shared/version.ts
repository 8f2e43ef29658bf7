/** Kiln's version: the API's `info.version`, the webhook User-Agent. Kept with package.json's. */
export const KILN_VERSION = "0.1.0";

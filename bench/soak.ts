// `npm run soak` runs the soak where it now lives, beside the reliability tests.
await import("../test/reliability/soak.js");

// Where a Worker's entry file is, from source and in the compiled binary. `npm run build` lists
// each worker as an entry point beside src/main.ts, and the binary keeps them in its own file
// system under /$bunfs/root/ at their paths below src/. Bun.main says which case this is: the
// bytecode build keeps each module's import.meta.url pointing at the source file it was built
// from, which exists on the build machine only.
export function workerUrl(pathInSrc: string): URL {
  return Bun.main.startsWith("/$bunfs/")
    ? new URL(`file:///$bunfs/root/${pathInSrc}`)
    : new URL(`./${pathInSrc}`, import.meta.url);
}

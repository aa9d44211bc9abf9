// A template helper's view of one carpool (after `setup collected`): the served paths of its members, and the
// functions that write the page's tags.
const served = ['js/a.js', 'js/b.js'].map((logicalPath) => manifest.files[logicalPath]!.served)
const tags: string[] = []
function link(path: string): void {
  tags.push(`<script src="/static/${path}"></script>`)
}
function linkEach(paths: readonly string[]): void {
  for (const path of paths) link(path)
}

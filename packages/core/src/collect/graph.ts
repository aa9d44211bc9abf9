/**
 * Strongly connected components of a dependency graph (Tarjan), dependencies first: every component comes after
 * all the components it depends on. A component of one node is cyclic only when the node depends on itself.
 */
export function componentsInDependencyOrder<T>(nodes: readonly T[], dependenciesOf: (node: T) => readonly T[]): { members: T[]; cyclic: boolean }[] {
  const index = new Map<T, number>()
  const lowLink = new Map<T, number>()
  const onStack = new Set<T>()
  const stack: T[] = []
  const components: { members: T[]; cyclic: boolean }[] = []
  let counter = 0

  // Iterative, so a long chain of imports cannot overflow the call stack.
  for (const root of nodes) {
    if (index.has(root)) continue
    const work: { node: T; edges: readonly T[]; next: number }[] = []
    const open = (node: T): void => {
      index.set(node, counter)
      lowLink.set(node, counter)
      counter += 1
      stack.push(node)
      onStack.add(node)
      work.push({ node, edges: dependenciesOf(node), next: 0 })
    }
    open(root)
    while (work.length > 0) {
      const frame = work[work.length - 1]!
      if (frame.next < frame.edges.length) {
        const target = frame.edges[frame.next]!
        frame.next += 1
        if (!index.has(target)) open(target)
        else if (onStack.has(target)) lowLink.set(frame.node, Math.min(lowLink.get(frame.node)!, index.get(target)!))
        continue
      }
      work.pop()
      const parent = work[work.length - 1]
      if (parent !== undefined) lowLink.set(parent.node, Math.min(lowLink.get(parent.node)!, lowLink.get(frame.node)!))
      if (lowLink.get(frame.node) === index.get(frame.node)) {
        const members: T[] = []
        let member: T
        do {
          member = stack.pop()!
          onStack.delete(member)
          members.push(member)
        } while (member !== frame.node)
        const cyclic = members.length > 1 || frame.edges.includes(frame.node)
        components.push({ members, cyclic })
      }
    }
  }
  return components
}

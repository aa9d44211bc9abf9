import { describe, expect, it } from 'vitest'
import { componentsInDependencyOrder } from './graph.js'

function order(edges: Record<string, string[]>): { members: string[]; cyclic: boolean }[] {
  return componentsInDependencyOrder(Object.keys(edges), (node) => edges[node] ?? []).map(({ members, cyclic }) => ({ members: [...members].sort(), cyclic }))
}

describe('componentsInDependencyOrder', () => {
  it('puts dependencies first', () => {
    const result = order({ 'a.css': ['b.css'], 'b.css': ['c.png'], 'c.png': [] })
    expect(result.map((c) => c.members[0])).toEqual(['c.png', 'b.css', 'a.css'])
    expect(result.every((c) => !c.cyclic)).toBe(true)
  })

  it('groups cycles of length 1, 2 and 3', () => {
    expect(order({ self: ['self'] })).toEqual([{ members: ['self'], cyclic: true }])
    expect(order({ a: ['b'], b: ['a'] })).toEqual([{ members: ['a', 'b'], cyclic: true }])
    const three = order({ a: ['b'], b: ['c'], c: ['a', 'img'], img: [] })
    expect(three).toEqual([{ members: ['img'], cyclic: false }, { members: ['a', 'b', 'c'], cyclic: true }])
  })

  it('orders a diamond with the shared dependency once, first', () => {
    const result = order({ top: ['left', 'right'], left: ['bottom'], right: ['bottom'], bottom: [] })
    expect(result[0]!.members).toEqual(['bottom'])
    expect(result[3]!.members).toEqual(['top'])
    expect(result).toHaveLength(4)
  })

  it('handles a chain far deeper than the call stack', () => {
    const edges: Record<string, string[]> = {}
    for (let i = 0; i < 50_000; i++) edges[`n${i}`] = i === 0 ? [] : [`n${i - 1}`]
    const result = componentsInDependencyOrder(Object.keys(edges).reverse(), (node) => edges[node] ?? [])
    expect(result).toHaveLength(50_000)
    expect(result[0]!.members).toEqual(['n0'])
  })
})

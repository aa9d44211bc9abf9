import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  format: 'esm',
  target: 'node20',
  dts: true,
  sourcemap: true,
  clean: true,
  // `mime` is bundled (its database included) so that this package has no runtime dependency but @convoy/errors.
  noExternal: ['mime'],
  // mime's MIT license asks for its notice in every copy.
  banner: { js: '/*! Includes mime (https://github.com/broofa/mime), MIT License, Copyright (c) 2023 Robert Kieffer */' },
})

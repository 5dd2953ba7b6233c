// The shared npm packages (.deps/npm/node_modules, installed from scripts/npm) for the browser
// tests. ESM `import` ignores NODE_PATH and there is no node_modules above tests/, so packages are
// loaded with a require() rooted in that directory (node 20.19+ can require ES modules).
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

// IA_NPM_MODULES, else the first NODE_PATH entry, else the checkout's .deps.
export const NPM_MODULES = process.env.IA_NPM_MODULES ||
  (process.env.NODE_PATH || '').split(path.delimiter).find(Boolean) ||
  path.join(repo, '.deps/npm/node_modules')

export const npmRequire = createRequire(path.join(NPM_MODULES, 'noop.js'))
export const REPO = repo

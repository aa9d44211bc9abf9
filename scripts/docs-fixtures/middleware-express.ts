// The Express app of the Usage section, with gzipHttpOnly imported.
import express from 'express'
import { gzipHttpOnly } from '@convoy/middleware-gzip-http'

const app = express()

// The Nunjucks environment and the Convoy runtime of the Usage section (on the collected fixture site).
import nunjucks from 'nunjucks'
import { createConvoy as docsCheckCreateConvoy } from '@convoy/core'

const env = new nunjucks.Environment(new nunjucks.FileSystemLoader('views'), { autoescape: true })
const convoy = await docsCheckCreateConvoy({ manifest: 'public/static/convoy-manifest.json', baseUrl: '/static/' })

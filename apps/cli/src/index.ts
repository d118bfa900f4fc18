export { main, buildProgram } from './program';
export { loadApp } from './load-app';

// Promise.withResolvers (Node 22) for Node 20, which the helia stack needs: load it first with
//   node --import ./with_resolvers.mjs script.mjs
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve, reject
    const promise = new this((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}

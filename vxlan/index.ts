// vxlan/ public API: RFC 7348 codec, VNI ⇄ (service path, index) allocation, tunnel endpoint table.
export * from './addr.js';
export * from './header.js';
export * from './vni.js';
export * from './tunnel.js';

// The control-plane rig lives with the `system` bench suite (bench/suites/system.ts, which is compiled into dist/
// while test/ is not); the scenarios import it from here.
export { ControlPlaneRig, ScriptedRunner, type RigAgent, type RigOptions } from '../../bench/suites/system.js';

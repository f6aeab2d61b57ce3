import { WasmgateError, messageOf } from '../common/error.ts';

export type LifecycleErrorCode = 'COMPONENT_START_FAILED' | 'COMPONENT_DEPENDENCY_UNKNOWN' | 'COMPONENT_DEPENDENCY_CYCLE' | 'COMPONENT_DUPLICATE';

export class LifecycleError extends WasmgateError<LifecycleErrorCode> {}

/**
 * A component's start failed; everything started before it was stopped again. The code is the component's own
 * when it threw a coded error (`SOCKET_IN_USE`, `WASMCLOUD_CONNECT_FAILED`, …), else COMPONENT_START_FAILED; the
 * message and `component` name which one failed.
 */
export class ComponentStartError extends WasmgateError {
  readonly component: string;

  constructor(component: string, cause: unknown) {
    super(WasmgateError.isWasmgateError(cause) ? cause.code : 'COMPONENT_START_FAILED',
      `${component} failed to start, nothing was left running: ${messageOf(cause)}`, { cause, details: { component } });
    this.component = component;
  }
}

// A screen that throws while rendering shows what went wrong, and the navigation stays usable.
import { Component, type ReactNode } from 'react';

export class ScreenBoundary extends Component<{ children: ReactNode; resetKey: string }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override componentDidUpdate(prev: { resetKey: string }) {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }
  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="error" role="alert">
        This screen failed to show: {this.state.error.message}
      </div>
    );
  }
}

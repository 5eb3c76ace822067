import { Route, Routes } from 'react-router';
import { SpecDetail } from './SpecDetail';
import { SpecLibrary } from './SpecLibrary';
import '../../components/tables.css';
import './specs.css';

/** The saved spec library: /specs lists and imports, /specs/new writes one, /specs/:name edits one. */
export default function SpecsPage() {
  return (
    <Routes>
      <Route index element={<SpecLibrary />} />
      <Route path="new" element={<SpecDetail />} />
      <Route path=":name" element={<SpecDetail />} />
    </Routes>
  );
}
